// Package wire is the JSON codec behind every graphcomms model type.
//
// It exists because Graph payloads need three things encoding/json v1 does not give
// together, at a cost a callback path can afford:
//
//   - lossless round trips: every member that a struct's fields cannot carry (unknown
//     names, nulls, explicit zero values, numbers sent as non-numeric strings) is kept
//     verbatim in the struct's AdditionalData map and written back out;
//   - lenient input: member names match case-insensitively (`subCode`, `ConferenceId`),
//     registered enum types are canonicalised case-insensitively, numbers sent as
//     strings decode, and polymorphic (interface) fields are decoded through a registry;
//   - precise errors: every problem with the input is a *graph.DecodeError that says
//     what, at which byte offset and at which member path (value[0].resourceData.state),
//     also inside polymorphic values decoded through the registry;
//   - strict framing: only white space may follow the value (a NUL byte is not white
//     space), and strings must be valid Unicode: invalid UTF-8 and unpaired UTF-16
//     surrogate escapes are errors, where encoding/json would replace them with U+FFFD
//     (so that two different IDs could decode to the same string);
//   - bounded memory: a decode may allocate at most MaxAmplification bytes per input
//     byte plus MinBudget (see Budget), so that a small hostile input (a roster of a
//     million empty objects) cannot become hundreds of megabytes of structs.
//
// Model packages call Unmarshal and Marshal from their UnmarshalJSON and MarshalJSON
// methods. The codec itself never calls those methods on structs (it walks them by
// reflection with a cached plan per type), so there is no recursion through
// encoding/json.
//
// Conventions for a model struct:
//
//   - each field has a `json:"name,omitzero"` tag; a field without a tag is ignored
//     unless it is an embedded struct, whose fields are promoted;
//   - a field named AdditionalData of type map[string]json.RawMessage (tag `json:"-"`)
//     receives everything the other fields do not carry;
//   - an interface-typed field must have its decoder registered with RegisterInterface;
//   - a type with an ODataTypeName() string method gets that @odata.type written when its
//     ODataType field is empty.
package wire
