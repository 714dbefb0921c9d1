package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/graphcomms/graphcomms/internal/loopback"
	"github.com/graphcomms/graphcomms/internal/wav"
	"github.com/graphcomms/graphcomms/media"
)

// The one audio format Teams bots play (Microsoft Teams platform docs, "Calls and
// online meetings bots", supported media formats: WAV, 16-bit PCM, mono, 16,000
// samples per second). The emulator checks the prompts it can fetch against it.
const (
	sampleRate    = 16000
	bitsPerSample = 16
)

// WAVFormat is what a WAV file's header says about its audio.
type WAVFormat struct {
	// AudioFormat is the fmt chunk's format tag: 1 is PCM (0xFFFE, extensible, is
	// reported as 1 when its sub-format is PCM).
	AudioFormat   uint16
	Channels      uint16
	SampleRate    uint32
	BitsPerSample uint16
	// Duration is the length of the data chunk's audio.
	Duration time.Duration
}

// CheckPrompt returns an error unless the format is one Graph plays as a prompt:
// PCM, mono, 16 kHz, 16-bit.
func (f WAVFormat) CheckPrompt() error {
	var bad []string
	if f.AudioFormat != 1 {
		bad = append(bad, fmt.Sprintf("format %d (not PCM)", f.AudioFormat))
	}
	if f.Channels != 1 {
		bad = append(bad, fmt.Sprintf("%d channels (not mono)", f.Channels))
	}
	if f.SampleRate != sampleRate {
		bad = append(bad, fmt.Sprintf("%d Hz (not 16000 Hz)", f.SampleRate))
	}
	if f.BitsPerSample != bitsPerSample {
		bad = append(bad, fmt.Sprintf("%d-bit (not 16-bit)", f.BitsPerSample))
	}
	if len(bad) > 0 {
		return errors.New("not a 16 kHz mono 16-bit PCM WAV file: " + strings.Join(bad, ", "))
	}
	return nil
}

// ReadWAVFormat reads a WAV file's header (RIFF/WAVE, its fmt chunk, up to the data
// chunk) and returns the audio's format and duration.
func ReadWAVFormat(r io.Reader) (WAVFormat, error) {
	var f WAVFormat
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return f, errors.New("emulator: not a WAV file")
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return f, errors.New("emulator: not a WAV file")
	}
	var byteRate uint32
	seenFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return f, fmt.Errorf("emulator: WAV file without a data chunk: %w", err)
		}
		size := binary.LittleEndian.Uint32(ch[4:8])
		switch string(ch[0:4]) {
		case "fmt ":
			if size < 16 || size > 1<<16 {
				return f, errors.New("emulator: bad fmt chunk")
			}
			buf := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return f, err
			}
			f.AudioFormat = binary.LittleEndian.Uint16(buf[0:2])
			f.Channels = binary.LittleEndian.Uint16(buf[2:4])
			f.SampleRate = binary.LittleEndian.Uint32(buf[4:8])
			byteRate = binary.LittleEndian.Uint32(buf[8:12])
			f.BitsPerSample = binary.LittleEndian.Uint16(buf[14:16])
			// WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the format tag.
			if f.AudioFormat == 0xFFFE && size >= 40 && binary.LittleEndian.Uint16(buf[24:26]) == 1 {
				f.AudioFormat = 1
			}
			seenFmt = true
		case "data":
			if !seenFmt || byteRate == 0 {
				return f, errors.New("emulator: data before fmt")
			}
			f.Duration = time.Duration(float64(size) / float64(byteRate) * float64(time.Second))
			return f, nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size)+int64(size%2)); err != nil {
				return f, err
			}
		}
	}
}

// WAVDuration reads a WAV header and returns the audio's duration.
func WAVDuration(r io.Reader) (time.Duration, error) {
	f, err := ReadWAVFormat(r)
	return f.Duration, err
}

// WAV returns a 16 kHz, 16-bit mono PCM WAV file of d: a soft 440 Hz tone standing in
// for speech (silence when tone is false).
func WAV(d time.Duration, tone bool) []byte {
	samples := int(d.Seconds() * sampleRate)
	pcm := make([]byte, 2*samples)
	if tone {
		for i := range samples {
			v := int16(3000 * math.Sin(2*math.Pi*440*float64(i)/sampleRate))
			binary.LittleEndian.PutUint16(pcm[2*i:], uint16(v))
		}
	}
	return wav.FromPCM(pcm)
}

// The result a playPrompt or recordResponse fails with when the emulator cannot
// play its prompt: a prompt served on loopback that is not a 16 kHz mono 16-bit PCM
// WAV file, or that cannot be fetched. Graph's code for a prompt it cannot play is
// not documented (the docs' only failed media operations are cancelled ones, 400/8508),
// so the subcode is the emulator's own, outside the range of Graph's subcodes.
const (
	// CodePromptNotPlayable is the failed operation's resultInfo code.
	CodePromptNotPlayable = 400
	// SubcodePromptNotPlayable is the failed operation's resultInfo subcode.
	SubcodePromptNotPlayable = 900001
	// MessagePromptNotPlayable starts the failed operation's resultInfo message, which
	// goes on with the prompt's URI and what is wrong with it.
	MessagePromptNotPlayable = "The prompt could not be played (emulator: Graph's code for this is undocumented):"
)

// Prompt fetching: loopback only, at most maxPromptHeader bytes read, within
// promptFetchTimeout of real time (a loopback server answers at once; the virtual
// clock does not move while the emulator waits).
const (
	maxPromptHeader    = 1 << 20
	promptFetchTimeout = 2 * time.Second
)

// promptProbe is what the emulator learnt of a request's prompts.
type promptProbe struct {
	total time.Duration // how long they play
	uri   string        // the first prompt that cannot be played
	err   error         // why it cannot be played
}

// probePrompts returns how long the prompts play, or the first one that cannot be
// played.
func (e *Emulator) probePrompts(ps []media.Prompt) promptProbe {
	var p promptProbe
	for _, uri := range promptURIs(ps) {
		d, err := e.probePrompt(uri)
		if err != nil {
			return promptProbe{uri: uri, err: err}
		}
		p.total += d
	}
	return p
}

// probePrompt returns how long a prompt plays. A URI on loopback is fetched and its WAV
// header checked; any other URI is never fetched (the emulator does not reach the
// network) and plays for the default duration.
func (e *Emulator) probePrompt(uri string) (time.Duration, error) {
	u, err := url.Parse(uri)
	if err != nil || !loopback.Host(u.Hostname()) || u.Scheme != "http" && u.Scheme != "https" {
		return e.cfg.DefaultPromptDuration, nil
	}
	client := &http.Client{Timeout: promptFetchTimeout, Transport: loopbackOnly{}}
	resp, err := client.Get(uri)
	if err != nil {
		return 0, fmt.Errorf("fetching it: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("fetching it: %s", resp.Status)
	}
	f, err := ReadWAVFormat(io.LimitReader(resp.Body, maxPromptHeader))
	if err != nil {
		return 0, errors.New(strings.TrimPrefix(err.Error(), "emulator: "))
	}
	if err := f.CheckPrompt(); err != nil {
		return 0, err
	}
	if f.Duration <= 0 {
		return e.cfg.DefaultPromptDuration, nil
	}
	return f.Duration, nil
}

// MaxRecordings caps the recordings an emulator keeps for download
// (recordingLocation): past it, the oldest is forgotten and its URL answers 404, as
// Graph keeps a recording only briefly (call-record: download it at once).
const MaxRecordings = 256

// recordings serves recorded audio to holders of its access token.
type recordings struct {
	mu    sync.Mutex
	items map[string]recording
	order []string // IDs, oldest first
}

type recording struct {
	token string
	wav   []byte
}

func (r *recordings) init() { r.items = map[string]recording{} }

func (r *recordings) put(id string, wav []byte) (token string) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.items[id]; !ok {
		r.order = append(r.order, id)
	}
	r.items[id] = recording{token: token, wav: wav}
	for len(r.order) > MaxRecordings {
		delete(r.items, r.order[0])
		r.order = r.order[1:]
	}
	return token
}

func (e *Emulator) serveRecording(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e.recs.mu.Lock()
	rec, ok := e.recs.items[id]
	e.recs.mu.Unlock()
	if !ok {
		http.Error(w, "no such recording", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+rec.token {
		http.Error(w, "recording access token required", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(rec.wav)
}
