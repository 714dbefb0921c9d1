// Package media holds the media side of the Graph calls wire model: media
// configurations (service-hosted and app-hosted), prompts, media streams and state,
// DTMF tones, and the enums they use.
//
// Every struct here is a plain value. Fields are omitted from JSON when zero, and
// AdditionalData keeps, verbatim, every member the fields do not carry (unknown
// properties, nulls, explicit zero values), so a decode followed by an encode writes
// what was read. Enums are string types: decoding matches documented values ignoring
// case and canonicalises them ("Audio" becomes ModalityAudio); unknown values are kept as
// sent.
//
// Config and Prompt are polymorphic: a field of either type decodes to the concrete
// type named by the object's @odata.type, and encoding writes the right @odata.type.
package media

//go:generate go run ../internal/cmd/genjson
