package facegen

import (
	"bytes"
	"image"
	"io"
	"os"
	"path/filepath"
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

func TestReadY4M(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clip.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewY4MWriter(f, 32, 16, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		fr := NewYUVFrame(32, 16)
		fr.Y[3], fr.U[1], fr.V[2] = byte(10+i), byte(20+i), byte(30+i)
		if err := w.WriteFrame(fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	frames, fps, err := ReadY4M(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 || fps != 7 {
		t.Fatalf("got %d frames at %d fps; want 2 at 7", len(frames), fps)
	}
	for i, im := range frames {
		if im.Rect != image.Rect(0, 0, 32, 16) || im.SubsampleRatio != image.YCbCrSubsampleRatio420 || im.CStride != 16 {
			t.Errorf("frame %d: got %v, ratio %v, chroma stride %d; want 32×16 4:2:0, stride 16", i, im.Rect, im.SubsampleRatio, im.CStride)
		}
		if im.Y[3] != byte(10+i) || im.Cb[1] != byte(20+i) || im.Cr[2] != byte(30+i) {
			t.Errorf("frame %d: planes not read back", i)
		}
	}
	if _, _, err := ReadY4M(filepath.Join(t.TempDir(), "missing.y4m")); err == nil {
		t.Error("a missing file: got no error")
	}
}
