// Package wav writes the one audio format Teams bots play and record: WAV files of
// 16-bit PCM, mono, 16,000 samples per second.
package wav

import "encoding/binary"

// SampleRate is the samples per second of the format.
const SampleRate = 16000

// FromPCM returns a WAV file (a 44-byte RIFF header, then the data) holding pcm:
// 16-bit little-endian mono samples at SampleRate. An odd last byte is dropped.
func FromPCM(pcm []byte) []byte {
	n := len(pcm) &^ 1
	out := make([]byte, 44, 44+n)
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(36+n))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16)
	binary.LittleEndian.PutUint16(out[20:], 1) // PCM
	binary.LittleEndian.PutUint16(out[22:], 1) // mono
	binary.LittleEndian.PutUint32(out[24:], SampleRate)
	binary.LittleEndian.PutUint32(out[28:], SampleRate*2) // bytes per second
	binary.LittleEndian.PutUint16(out[32:], 2)            // bytes per sample
	binary.LittleEndian.PutUint16(out[34:], 16)           // bits per sample
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(n))
	return append(out, pcm[:n]...)
}
