package facegen

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestY4MWriteRead(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewY4MWriter(&buf, 64, 48, 15)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		f := NewYUVFrame(64, 48)
		for j := range f.Y {
			f.Y[j] = byte(i*10 + j%7)
		}
		f.U[0], f.V[len(f.V)-1] = byte(100+i), byte(200+i)
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	header := "YUV4MPEG2 W64 H48 F15:1 Ip A1:1 C420\n"
	if !strings.HasPrefix(buf.String(), header) {
		t.Fatalf("header: got %q; want %q", buf.String()[:len(header)], header)
	}
	frameBytes := len("FRAME\n") + 64*48*3/2
	if got, want := buf.Len(), len(header)+3*frameBytes; got != want {
		t.Fatalf("stream size: got %d; want %d (3 frames of %d bytes)", got, want, frameBytes)
	}
	r, err := NewY4MReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header; h.Width != 64 || h.Height != 48 || h.FPSNum != 15 || h.FPSDen != 1 || h.Colorspace != "420" {
		t.Errorf("header read back: got %+v", h)
	}
	n := 0
	for {
		f, err := r.ReadFrame(nil)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Y) != 64*48 || len(f.U) != 32*24 || len(f.V) != 32*24 {
			t.Errorf("frame %d planes: %d %d %d", n, len(f.Y), len(f.U), len(f.V))
		}
		if f.Y[5] != byte(n*10+5) || f.U[0] != byte(100+n) || f.V[len(f.V)-1] != byte(200+n) {
			t.Errorf("frame %d content changed", n)
		}
		n++
	}
	if n != 3 {
		t.Errorf("frames: got %d; want 3", n)
	}
	if _, err := NewY4MWriter(io.Discard, 63, 48, 15); err == nil {
		t.Error("odd width accepted")
	}
	if _, err := NewY4MReader(strings.NewReader("YUV4MPEG2 W64 H48 F15:1 C444\n")); err == nil {
		t.Error("4:4:4 accepted")
	}
}
