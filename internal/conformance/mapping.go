package conformance

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/graphcomms/graphcomms/calls"
	"github.com/graphcomms/graphcomms/internal/wire"
	"github.com/graphcomms/graphcomms/media"
	"github.com/graphcomms/graphcomms/meetings"
	"github.com/graphcomms/graphcomms/notifications"
	"github.com/graphcomms/graphcomms/participants"
)

// Decoder decodes a body into a graphcomms value. The value is what Marshal re-encodes.
type Decoder struct {
	Name   string
	Decode func(data []byte) (any, error)
}

// into decodes through the type's own UnmarshalJSON, as a user's json.Unmarshal would.
func into[T any, PT interface {
	*T
	json.Unmarshaler
}](name string) Decoder {
	return Decoder{Name: name, Decode: func(data []byte) (any, error) {
		v := PT(new(T))
		if err := v.UnmarshalJSON(data); err != nil {
			return nil, err
		}
		return v, nil
	}}
}

var operation = Decoder{Name: "calls.Operation", Decode: func(data []byte) (any, error) {
	if err := wire.Valid(data); err != nil {
		return nil, err
	}
	return calls.DecodeOperation(data)
}}

var (
	call          = into[calls.Call]("calls.Call")
	callList      = into[calls.Collection[calls.Call]]("calls.Collection[calls.Call]")
	participant   = into[participants.Participant]("participants.Participant")
	participantsL = into[calls.Collection[participants.Participant]]("calls.Collection[participants.Participant]")
	arg           = into[calls.AudioRoutingGroup]("calls.AudioRoutingGroup")
	argList       = into[calls.Collection[calls.AudioRoutingGroup]]("calls.Collection[calls.AudioRoutingGroup]")
	css           = into[calls.ContentSharingSession]("calls.ContentSharingSession")
	cssList       = into[calls.Collection[calls.ContentSharingSession]]("calls.Collection[calls.ContentSharingSession]")
	meeting       = into[meetings.OnlineMeeting]("meetings.OnlineMeeting")
	meetingList   = into[calls.Collection[meetings.OnlineMeeting]]("calls.Collection[meetings.OnlineMeeting]")
	report        = into[meetings.AttendanceReport]("meetings.AttendanceReport")
	reportList    = into[calls.Collection[meetings.AttendanceReport]]("calls.Collection[meetings.AttendanceReport]")
	recordList    = into[calls.Collection[meetings.AttendanceRecord]]("calls.Collection[meetings.AttendanceRecord]")
	presence      = into[meetings.Presence]("meetings.Presence")
	presenceList  = into[calls.Collection[meetings.Presence]]("calls.Collection[meetings.Presence]")
	subscription  = into[notifications.Subscription]("notifications.Subscription")
	clientContext = into[calls.ClientContextRequest]("calls.ClientContextRequest")
	setPresence   = into[meetings.SetPresenceRequest]("meetings.SetPresenceRequest")
	commsNotes    = into[notifications.CommsNotifications]("notifications.CommsNotifications")
	changeNotes   = into[notifications.ChangeNotificationCollection]("notifications.ChangeNotificationCollection")
)

// actionRequests maps the last path segment of a POST action (lower case, namespace
// removed) to its request body type.
var actionRequests = map[string]Decoder{
	"answer":                         into[calls.AnswerRequest]("calls.AnswerRequest"),
	"reject":                         into[calls.RejectRequest]("calls.RejectRequest"),
	"redirect":                       into[calls.RedirectRequest]("calls.RedirectRequest"),
	"transfer":                       into[calls.TransferRequest]("calls.TransferRequest"),
	"mute":                           clientContext,
	"unmute":                         clientContext,
	"subscribetotone":                clientContext,
	"cancelmediaprocessing":          clientContext,
	"addlargegalleryview":            clientContext,
	"stopholdmusic":                  clientContext,
	"keepalive":                      clientContext,
	"playprompt":                     into[calls.PlayPromptRequest]("calls.PlayPromptRequest"),
	"recordresponse":                 into[calls.RecordResponseRequest]("calls.RecordResponseRequest"),
	"changescreensharingrole":        into[calls.ChangeScreenSharingRoleRequest]("calls.ChangeScreenSharingRoleRequest"),
	"updaterecordingstatus":          into[calls.UpdateRecordingStatusRequest]("calls.UpdateRecordingStatusRequest"),
	"senddtmftones":                  into[calls.SendDtmfTonesRequest]("calls.SendDtmfTonesRequest"),
	"logteleconferencedevicequality": into[calls.LogTeleconferenceDeviceQualityRequest]("calls.LogTeleconferenceDeviceQualityRequest"),
	"invite":                         into[calls.InviteParticipantsRequest]("calls.InviteParticipantsRequest"),
	"startholdmusic":                 into[calls.StartHoldMusicRequest]("calls.StartHoldMusicRequest"),
	"muteall":                        into[calls.MuteAllRequest]("calls.MuteAllRequest"),
	"configuremixer":                 into[calls.ConfigureMixerRequest]("calls.ConfigureMixerRequest"),
	"starttranscription":             into[calls.StartTranscriptionRequest]("calls.StartTranscriptionRequest"),
	"stoptranscription":              into[calls.StartTranscriptionRequest]("calls.StartTranscriptionRequest"),
	"reportsyntheticmedia":           into[calls.ReportSyntheticMediaRequest]("calls.ReportSyntheticMediaRequest"),
	"createorget":                    into[meetings.CreateOrGetRequest]("meetings.CreateOrGetRequest"),
	"setpresence":                    setPresence,
	"setuserpreferredpresence":       setPresence,
	"clearpresence":                  setPresence,
	"clearuserpreferredpresence":     setPresence,
	"setstatusmessage":               into[meetings.SetStatusMessageRequest]("meetings.SetStatusMessageRequest"),
	"getpresencesbyuserid":           into[meetings.GetPresencesByUserIDRequest]("meetings.GetPresencesByUserIDRequest"),
}

// segments normalises a request path into lower-case segments, with /app/ mapped to
// /communications/, namespace prefixes and the query removed.
func segments(path string) []string {
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimPrefix(path, "/")
	var out []string
	for i, s := range strings.Split(path, "/") {
		s = strings.TrimPrefix(strings.ToLower(s), "microsoft.graph.")
		if i == 0 && s == "app" {
			s = "communications"
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// RequestDecoder returns the decoder for the body of a request.
func RequestDecoder(method, path string) (Decoder, error) {
	segs := segments(path)
	if len(segs) == 0 {
		return Decoder{}, fmt.Errorf("no path")
	}
	last := segs[len(segs)-1]
	switch method {
	case "GET":
		return ResponseDecoder(method, path, false)
	case "PATCH":
		if contains(segs, "audioroutinggroups") {
			return arg, nil
		}
		if contains(segs, "onlinemeetings") {
			return meeting, nil
		}
	case "POST":
		if d, ok := actionRequests[last]; ok {
			return d, nil
		}
		switch last {
		case "calls":
			return call, nil
		case "audioroutinggroups":
			return arg, nil
		case "onlinemeetings":
			return meeting, nil
		case "subscriptions":
			return subscription, nil
		}
	}
	return Decoder{}, fmt.Errorf("no request type for %s %s", method, path)
}

// ResponseDecoder returns the decoder for the response to a request. collection says
// whether the body is a {"value": [...]} page.
func ResponseDecoder(method, path string, collection bool) (Decoder, error) {
	segs := segments(path)
	if len(segs) == 0 {
		return Decoder{}, fmt.Errorf("no path")
	}
	last := segs[len(segs)-1]
	pick := func(one, many Decoder) Decoder {
		if collection {
			return many
		}
		return one
	}
	switch {
	case last == "createorget" || contains(segs, "onlinemeetings") && !contains(segs, "attendancereports") &&
		!contains(segs, "meetingattendancereport") && !contains(segs, "attendancerecords"):
		return pick(meeting, meetingList), nil
	case last == "attendancerecords":
		return recordList, nil
	case contains(segs, "attendancereports") || last == "meetingattendancereport":
		return pick(report, reportList), nil
	case contains(segs, "presence") || last == "getpresencesbyuserid" || contains(segs, "presences"):
		return pick(presence, presenceList), nil
	case last == "subscriptions":
		return subscription, nil
	case contains(segs, "operations"):
		return operation, nil
	case contains(segs, "audioroutinggroups"):
		return pick(arg, argList), nil
	case contains(segs, "contentsharingsessions"):
		return pick(css, cssList), nil
	case contains(segs, "participants") && method == "GET":
		return pick(participant, participantsL), nil
	case method == "POST" && last != "calls":
		return operation, nil // every call action that returns a body returns an operation
	case contains(segs, "calls"):
		return pick(call, callList), nil
	}
	return Decoder{}, fmt.Errorf("no response type for %s %s", method, path)
}

// ExampleDecoder returns the decoder for a standalone example of a type.
func ExampleDecoder(page string) (Decoder, error) {
	switch {
	case strings.HasSuffix(page, "/mediaprompt"):
		return into[media.MediaPrompt]("media.MediaPrompt"), nil
	case strings.HasSuffix(page, "/participantmixerlevel"):
		return into[calls.ParticipantMixerLevel]("calls.ParticipantMixerLevel"), nil
	}
	return Decoder{}, fmt.Errorf("no example type for %s", page)
}

// NotificationDecoder returns the decoder for a notification body, chosen by its shape:
// a commsNotifications envelope, a Graph change-notification collection, or a bare
// resource (the decrypted content of a rich change notification).
func NotificationDecoder(data []byte) Decoder {
	if !wire.HasMember(data, "value") {
		return Decoder{Name: "notifications.DecodeResource", Decode: func(data []byte) (any, error) {
			return notifications.DecodeResource(data, "")
		}}
	}
	var probe struct {
		Value []map[string]json.RawMessage `json:"value"`
	}
	if json.Unmarshal(data, &probe) == nil && len(probe.Value) > 0 {
		if _, ok := probe.Value[0]["subscriptionId"]; ok {
			return changeNotes
		}
	}
	return commsNotes
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
