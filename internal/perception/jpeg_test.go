package perception

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// EncodeJPEG's output decodes to the frame's size and colours.
func TestEncodeJPEG(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for y := range 48 {
		for x := range 64 {
			img.Y[y*img.YStride+x] = uint8(x * 4)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 90, 170
	}
	b, err := EncodeJPEG([]byte("x"), img, 85)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 'x' {
		t.Fatal("dst not kept")
	}
	got, err := jpeg.Decode(bytes.NewReader(b[1:]))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	if got.Bounds() != img.Rect {
		t.Fatalf("decoded %v, want %v", got.Bounds(), img.Rect)
	}
	// Decoded VP8 frames are BT.601 video range (Y 16–235), as OpenCV's
	// YUV→BGR conversion takes them: Y 160, Cb 90, Cr 170 is about
	// (235, 149, 93) — not image.YCbCr's full-range reading.
	r, g, bl, _ := got.At(40, 20).RGBA()
	near := func(a uint32, b int) bool { return int(a>>8) <= b+12 && b <= int(a>>8)+12 }
	if !near(r, 235) || !near(g, 149) || !near(bl, 93) {
		t.Errorf("pixel (%d,%d,%d), want about (235,149,93)", r>>8, g>>8, bl>>8)
	}
	if _, err := EncodeJPEG(nil, image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio444), 85); err == nil {
		t.Error("a 4:4:4 frame was accepted")
	}
}
