// Package notifications holds the envelopes of what Graph POSTs to a bot: the
// commsNotifications body of a calling bot's callback (CommsNotifications), with a typed
// decoder for each notification's resourceData, and Graph change notifications
// (ChangeNotificationCollection) with the Subscription that asks for them, as used for
// online-meeting call events.
//
// A notification's resourceData may be one object (a call, an operation, a content
// sharing session) or an array (a roster of participants). CommsNotification keeps it
// raw, so the envelope round-trips exactly, and DecodeResourceData returns the typed
// values. See package media for the conventions shared by all model packages.
package notifications

//go:generate go run ../internal/cmd/genjson
