package demo

import (
	"encoding/binary"
	"math"
	"net/http"
	"net/url"
	"strings"
)

// PromptsPath is where ServePrompts serves its prompts on the bot's own server.
const PromptsPath = "/prompts/"

// ServePrompts serves audible stand-ins for an example bot's prompts at
// PromptsPath+name+".wav", for a bot connected to `graphcomms emulator`: the console
// plays them in the browser, and the emulator plays each for as long as its audio
// lasts. Each name has its own short chime (melodies maps a name to its notes, in Hz),
// in the format Teams bots play: 16 kHz mono 16-bit PCM WAV. It returns the base URL
// of the prompts on the bot's server, whose callback URL is callbackURL.
func ServePrompts(mux *http.ServeMux, callbackURL string, melodies map[string][]float64) string {
	files := map[string][]byte{}
	for name, notes := range melodies {
		files[name+".wav"] = Chime(notes...)
	}
	mux.HandleFunc("GET "+PromptsPath+"{file}", func(w http.ResponseWriter, r *http.Request) {
		wav, ok := files[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = w.Write(wav)
	})
	u, err := url.Parse(callbackURL)
	if err != nil {
		return strings.TrimSuffix(PromptsPath, "/")
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(PromptsPath, "/")
}

// Chime returns a WAV file (16 kHz, mono, 16-bit PCM) that plays the notes, a quarter
// of a second each, softly faded in and out.
func Chime(notes ...float64) []byte {
	const rate, note = 16000, 4000 // samples per second, per note
	n := len(notes) * note
	wav := make([]byte, 44+2*n)
	copy(wav, "RIFF")
	binary.LittleEndian.PutUint32(wav[4:], uint32(36+2*n))
	copy(wav[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(wav[16:], 16)
	binary.LittleEndian.PutUint16(wav[20:], 1) // PCM
	binary.LittleEndian.PutUint16(wav[22:], 1) // mono
	binary.LittleEndian.PutUint32(wav[24:], rate)
	binary.LittleEndian.PutUint32(wav[28:], rate*2)
	binary.LittleEndian.PutUint16(wav[32:], 2)
	binary.LittleEndian.PutUint16(wav[34:], 16)
	copy(wav[36:], "data")
	binary.LittleEndian.PutUint32(wav[40:], uint32(2*n))
	for i, f := range notes {
		for j := range note {
			t := float64(j) / rate
			env := math.Min(1, float64(j)/200) * math.Exp(-3*t) // a short attack, then decay
			v := 9000 * env * math.Sin(2*math.Pi*f*t)
			binary.LittleEndian.PutUint16(wav[44+2*(i*note+j):], uint16(int16(v)))
		}
	}
	return wav
}
