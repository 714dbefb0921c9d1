package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// WAV formats Graph accepts for prompts: PCM, 16-bit, mono, 16 kHz (or 8 kHz).
const (
	sampleRate    = 16000
	bitsPerSample = 16
)

// WAVDuration reads a WAV header and returns the audio's duration.
func WAVDuration(r io.Reader) (time.Duration, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, err
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return 0, errors.New("emulator: not a WAV file")
	}
	var byteRate uint32
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return 0, err
		}
		size := binary.LittleEndian.Uint32(ch[4:8])
		switch string(ch[0:4]) {
		case "fmt ":
			if size < 16 || size > 1<<16 {
				return 0, errors.New("emulator: bad fmt chunk")
			}
			buf := make([]byte, size)
			if _, err := io.ReadFull(r, buf); err != nil {
				return 0, err
			}
			byteRate = binary.LittleEndian.Uint32(buf[8:12])
		case "data":
			if byteRate == 0 {
				return 0, errors.New("emulator: data before fmt")
			}
			return time.Duration(float64(size) / float64(byteRate) * float64(time.Second)), nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size+size%2)); err != nil {
				return 0, err
			}
		}
	}
}

// WAV returns a 16 kHz, 16-bit mono PCM WAV file of d: a soft 440 Hz tone standing in
// for speech (silence when tone is false).
func WAV(d time.Duration, tone bool) []byte {
	samples := int(d.Seconds() * sampleRate)
	data := make([]byte, 44+2*samples)
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*samples))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], sampleRate)
	binary.LittleEndian.PutUint32(data[28:], sampleRate*bitsPerSample/8)
	binary.LittleEndian.PutUint16(data[32:], bitsPerSample/8)
	binary.LittleEndian.PutUint16(data[34:], bitsPerSample)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*samples))
	if tone {
		for i := range samples {
			v := int16(3000 * math.Sin(2*math.Pi*440*float64(i)/sampleRate))
			binary.LittleEndian.PutUint16(data[44+2*i:], uint16(v))
		}
	}
	return data
}

// promptDuration returns how long a prompt plays: the WAV file's duration when its URI
// is on loopback (never anything else: the emulator does not reach the network), else
// the default.
func (e *Emulator) promptDuration(uri string) time.Duration {
	u, err := url.Parse(uri)
	if err != nil || !isLoopback(u.Hostname()) || u.Scheme != "http" && u.Scheme != "https" {
		return e.cfg.DefaultPromptDuration
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: loopbackOnly{}}
	resp, err := client.Get(uri)
	if err != nil {
		return e.cfg.DefaultPromptDuration
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return e.cfg.DefaultPromptDuration
	}
	d, err := WAVDuration(io.LimitReader(resp.Body, 1<<20))
	if err != nil || d <= 0 {
		return e.cfg.DefaultPromptDuration
	}
	return d
}

// recordings serves recorded audio to holders of its access token.
type recordings struct {
	mu    sync.Mutex
	items map[string]recording
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
	r.items[id] = recording{token: token, wav: wav}
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
