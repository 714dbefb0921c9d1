package wav

import (
	"encoding/binary"
	"testing"
)

func TestFromPCM(t *testing.T) {
	w := FromPCM([]byte{1, 2, 3, 4, 5})
	if len(w) != 48 || string(w[0:4]) != "RIFF" || string(w[8:16]) != "WAVEfmt " || string(w[36:40]) != "data" {
		t.Fatalf("header %q", w[:44])
	}
	if binary.LittleEndian.Uint32(w[40:]) != 4 || binary.LittleEndian.Uint32(w[4:]) != 40 ||
		binary.LittleEndian.Uint32(w[24:]) != SampleRate || binary.LittleEndian.Uint16(w[34:]) != 16 {
		t.Errorf("sizes or format in %v", w[:44])
	}
}
