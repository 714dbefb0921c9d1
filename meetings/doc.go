// Package meetings holds the online-meeting side of the Graph wire model: the
// onlineMeeting resource with its settings, participants and join information,
// createOrGet, attendance reports and records, and the presence types of
// cloudCommunications. See package media for the conventions shared by all model
// packages.
//
// Members marked Beta exist only on the beta endpoint.
package meetings

//go:generate go run ../internal/cmd/genjson
