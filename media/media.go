package media

import (
	"encoding/json"

	"github.com/graphcomms/graphcomms/internal/odata"
	"github.com/graphcomms/graphcomms/internal/wire"
)

// Config is how a call's media is handled (Graph abstract type mediaConfig): by the
// service (*ServiceHostedMediaConfig, needed for prompts, recording and DTMF) or by the
// bot's own media platform (*AppHostedMediaConfig). A value of an @odata.type this
// package does not know decodes to *UnknownConfig.
type Config interface {
	// ODataTypeName returns the @odata.type the value is written with.
	ODataTypeName() string
	mediaConfig()
}

// ServiceHostedMediaConfig lets Graph host the call's media (Graph type
// serviceHostedMediaConfig).
type ServiceHostedMediaConfig struct {
	ODataType string `json:"@odata.type,omitzero"`
	// PreFetchMedia lists audio the service fetches ahead of playPrompt.
	PreFetchMedia []MediaInfo `json:"preFetchMedia,omitzero"`
	// RemoveFromDefaultAudioGroup is Beta: keep the bot out of the default audio group.
	RemoveFromDefaultAudioGroup bool `json:"removeFromDefaultAudioGroup,omitzero"`
	// LiveCaptionOptions is Beta: where live captions are streamed.
	LiveCaptionOptions *LiveCaptionOptions        `json:"liveCaptionOptions,omitzero"`
	AdditionalData     map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns "#microsoft.graph.serviceHostedMediaConfig".
func (*ServiceHostedMediaConfig) ODataTypeName() string {
	return odata.Type("serviceHostedMediaConfig")
}
func (*ServiceHostedMediaConfig) mediaConfig() {}

// AppHostedMediaConfig hands the call's media to the bot's real-time media platform
// (Graph type appHostedMediaConfig).
type AppHostedMediaConfig struct {
	ODataType string `json:"@odata.type,omitzero"`
	// Blob is the media configuration produced by the media platform, an opaque string.
	Blob string `json:"blob,omitzero"`
	// RemoveFromDefaultAudioGroup is Beta: keep the bot out of the default audio group.
	RemoveFromDefaultAudioGroup bool                       `json:"removeFromDefaultAudioGroup,omitzero"`
	AdditionalData              map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns "#microsoft.graph.appHostedMediaConfig".
func (*AppHostedMediaConfig) ODataTypeName() string { return odata.Type("appHostedMediaConfig") }
func (*AppHostedMediaConfig) mediaConfig()          {}

// UnknownConfig is a media configuration of a type this package does not know; it
// keeps every member so it is written back unchanged.
type UnknownConfig struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns the value's own @odata.type.
func (u *UnknownConfig) ODataTypeName() string { return u.ODataType }
func (*UnknownConfig) mediaConfig()            {}

// NewServiceHostedMediaConfig returns a service-hosted media configuration that
// prefetches the given audio files (URIs of WAV files), which makes the first playPrompt
// of each start without delay.
func NewServiceHostedMediaConfig(prefetchURIs ...string) *ServiceHostedMediaConfig {
	c := &ServiceHostedMediaConfig{ODataType: odata.Type("serviceHostedMediaConfig")}
	for _, uri := range prefetchURIs {
		c.PreFetchMedia = append(c.PreFetchMedia, MediaInfo{URI: uri, ResourceID: uri})
	}
	return c
}

// NewAppHostedMediaConfig returns an app-hosted media configuration carrying the media
// platform's blob.
func NewAppHostedMediaConfig(blob string) *AppHostedMediaConfig {
	return &AppHostedMediaConfig{ODataType: odata.Type("appHostedMediaConfig"), Blob: blob}
}

// DecodeConfig decodes a media configuration by its @odata.type. Without one, an object
// with a "blob" member is app-hosted and any other is service-hosted.
func DecodeConfig(data []byte) (Config, error) {
	switch name := odata.TypeOf(data); name {
	case "serviceHostedMediaConfig":
		return odata.Decode[ServiceHostedMediaConfig](data)
	case "appHostedMediaConfig":
		return odata.Decode[AppHostedMediaConfig](data)
	case "":
		if wire.HasMember(data, "blob") {
			return odata.Decode[AppHostedMediaConfig](data)
		}
		return odata.Decode[ServiceHostedMediaConfig](data)
	default:
		return odata.Decode[UnknownConfig](data)
	}
}

// LiveCaptionOptions is Beta: where the service streams live captions.
type LiveCaptionOptions struct {
	StreamURL      string                     `json:"streamUrl,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// MediaInfo names a media file (Graph type mediaInfo).
type MediaInfo struct {
	// URI of the file, for example an https URL of a WAV file. Required.
	URI string `json:"uri,omitzero"`
	// ResourceID identifies the file in the service's cache; set it to prefetch.
	ResourceID     string                     `json:"resourceId,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// Prompt is something to play to the caller (Graph abstract type prompt). The only
// documented kind is *MediaPrompt; other kinds decode to *UnknownPrompt.
type Prompt interface {
	// ODataTypeName returns the @odata.type the value is written with.
	ODataTypeName() string
	prompt()
}

// MediaPrompt plays an audio file (Graph type mediaPrompt).
type MediaPrompt struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	MediaInfo      MediaInfo                  `json:"mediaInfo,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns "#microsoft.graph.mediaPrompt".
func (*MediaPrompt) ODataTypeName() string { return odata.Type("mediaPrompt") }
func (*MediaPrompt) prompt()               {}

// UnknownPrompt is a prompt of a type this package does not know, kept verbatim.
type UnknownPrompt struct {
	ODataType      string                     `json:"@odata.type,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ODataTypeName returns the value's own @odata.type.
func (u *UnknownPrompt) ODataTypeName() string { return u.ODataType }
func (*UnknownPrompt) prompt()                 {}

// NewMediaPrompt returns a prompt that plays the audio file at uri, which must be a WAV
// file of 16 kHz, mono, 16-bit PCM: the only format Graph's mediaInfo page documents
// (single channel, 16-bit samples, 16,000 samples a second). Graph, and the emulator,
// fail a prompt in any other. The resource ID
// is the URI, so a file that was prefetched with NewServiceHostedMediaConfig is taken
// from the cache.
func NewMediaPrompt(uri string) *MediaPrompt {
	return &MediaPrompt{ODataType: odata.Type("mediaPrompt"), MediaInfo: MediaInfo{URI: uri, ResourceID: uri}}
}

// DecodePrompt decodes a prompt by its @odata.type; without one it is a media prompt.
func DecodePrompt(data []byte) (Prompt, error) {
	switch odata.TypeOf(data) {
	case "mediaPrompt", "":
		return odata.Decode[MediaPrompt](data)
	default:
		return odata.Decode[UnknownPrompt](data)
	}
}

// Stream is one media stream of a participant (Graph type mediaStream).
type Stream struct {
	Direction   Direction `json:"direction,omitzero"`
	Label       string    `json:"label,omitzero"`
	MediaType   Modality  `json:"mediaType,omitzero"`
	ServerMuted bool      `json:"serverMuted,omitzero"`
	SourceID    string    `json:"sourceId,omitzero"`
	// AdditionalData keeps members the fields do not carry.
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// CallMediaState is the state of a call's media (Graph type callMediaState).
type CallMediaState struct {
	Audio          State                      `json:"audio,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

// ToneInfo is one DTMF key press received on a call after subscribeToTone (Graph type
// toneInfo). SequenceID grows with each press, so a repeated notification can be
// recognised.
type ToneInfo struct {
	SequenceID     int64                      `json:"sequenceId,omitzero"`
	Tone           Tone                       `json:"tone,omitzero"`
	AdditionalData map[string]json.RawMessage `json:"-"`
}

func init() {
	wire.RegisterInterface(DecodeConfig)
	wire.RegisterInterface(DecodePrompt)
}
