package media

import "github.com/graphcomms/graphcomms/internal/wire"

// Modality is a kind of media in a call (Graph enum modality).
type Modality string

// Modality values.
const (
	ModalityAudio                   Modality = "audio"
	ModalityVideo                   Modality = "video"
	ModalityVideoBasedScreenSharing Modality = "videoBasedScreenSharing"
	ModalityData                    Modality = "data"
	ModalityUnknownFutureValue      Modality = "unknownFutureValue"
	// ModalityUnknown is sent by beta only.
	ModalityUnknown Modality = "unknown"
)

var modalities = wire.Enum(ModalityAudio, ModalityVideo, ModalityVideoBasedScreenSharing,
	ModalityData, ModalityUnknownFutureValue, ModalityUnknown)

// IsKnown reports whether m is a documented value.
func (m Modality) IsKnown() bool { return modalities.Known(m) }

// State is the state of a call's audio media (Graph enum mediaState).
type State string

// State values.
const (
	StateActive             State = "active"
	StateInactive           State = "inactive"
	StateUnknownFutureValue State = "unknownFutureValue"
)

var mediaStates = wire.Enum(StateActive, StateInactive, StateUnknownFutureValue)

// IsKnown reports whether s is a documented value.
func (s State) IsKnown() bool { return mediaStates.Known(s) }

// Direction is the direction of a media stream (Graph enum mediaDirection).
type Direction string

// Direction values.
const (
	DirectionInactive    Direction = "inactive"
	DirectionSendOnly    Direction = "sendOnly"
	DirectionReceiveOnly Direction = "receiveOnly"
	DirectionSendReceive Direction = "sendReceive"
)

var directions = wire.Enum(DirectionInactive, DirectionSendOnly, DirectionReceiveOnly, DirectionSendReceive)

// IsKnown reports whether d is a documented value.
func (d Direction) IsKnown() bool { return directions.Known(d) }

// Tone is a DTMF tone (Graph enum tone).
type Tone string

// Tone values.
const (
	Tone0     Tone = "tone0"
	Tone1     Tone = "tone1"
	Tone2     Tone = "tone2"
	Tone3     Tone = "tone3"
	Tone4     Tone = "tone4"
	Tone5     Tone = "tone5"
	Tone6     Tone = "tone6"
	Tone7     Tone = "tone7"
	Tone8     Tone = "tone8"
	Tone9     Tone = "tone9"
	ToneStar  Tone = "star"
	TonePound Tone = "pound"
	ToneA     Tone = "a"
	ToneB     Tone = "b"
	ToneC     Tone = "c"
	ToneD     Tone = "d"
	ToneFlash Tone = "flash"
)

var tones = wire.Enum(Tone0, Tone1, Tone2, Tone3, Tone4, Tone5, Tone6, Tone7, Tone8, Tone9,
	ToneStar, TonePound, ToneA, ToneB, ToneC, ToneD, ToneFlash)

// IsKnown reports whether t is a documented value.
func (t Tone) IsKnown() bool { return tones.Known(t) }

// Key returns the key a person pressed: '0' to '9', '*', '#', 'A' to 'D', or 'F' for
// flash. It returns 0 for an unknown tone.
func (t Tone) Key() byte {
	switch t {
	case ToneStar:
		return '*'
	case TonePound:
		return '#'
	case ToneA, ToneB, ToneC, ToneD:
		return string(t)[0] - 'a' + 'A'
	case ToneFlash:
		return 'F'
	}
	if len(t) == 5 && t[:4] == "tone" && t[4] >= '0' && t[4] <= '9' {
		return t[4]
	}
	return 0
}

// ToneForKey returns the Tone for a key: '0' to '9', '*', '#', 'A' to 'D' (or lower
// case). ok is false for any other byte.
func ToneForKey(key byte) (t Tone, ok bool) {
	switch {
	case key >= '0' && key <= '9':
		return Tone("tone" + string(rune(key))), true
	case key == '*':
		return ToneStar, true
	case key == '#':
		return TonePound, true
	case key >= 'A' && key <= 'D':
		return Tone(string(rune(key - 'A' + 'a'))), true
	case key >= 'a' && key <= 'd':
		return Tone(string(rune(key))), true
	}
	return "", false
}

// RecordingStatus is the compliance-recording status of a call or participant (Graph
// enum recordingStatus).
type RecordingStatus string

// RecordingStatus values.
const (
	RecordingStatusUnknown            RecordingStatus = "unknown"
	RecordingStatusNotRecording       RecordingStatus = "notRecording"
	RecordingStatusRecording          RecordingStatus = "recording"
	RecordingStatusFailed             RecordingStatus = "failed"
	RecordingStatusUnknownFutureValue RecordingStatus = "unknownFutureValue"
)

var recordingStatuses = wire.Enum(RecordingStatusUnknown, RecordingStatusNotRecording,
	RecordingStatusRecording, RecordingStatusFailed, RecordingStatusUnknownFutureValue)

// IsKnown reports whether s is a documented value.
func (s RecordingStatus) IsKnown() bool { return recordingStatuses.Known(s) }
