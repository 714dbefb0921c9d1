package demo

import (
	"encoding/binary"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/graphcomms/graphcomms/internal/wav"
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
	const note = wav.SampleRate / 4 // samples per note
	pcm := make([]byte, 2*len(notes)*note)
	for i, f := range notes {
		for j := range note {
			t := float64(j) / wav.SampleRate
			env := math.Min(1, float64(j)/200) * math.Exp(-3*t) // a short attack, then decay
			v := 9000 * env * math.Sin(2*math.Pi*f*t)
			binary.LittleEndian.PutUint16(pcm[2*(i*note+j):], uint16(int16(v)))
		}
	}
	return wav.FromPCM(pcm)
}
