package vpx

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"syscall"
	"testing"
	"time"
)

// synth draws frame n of a synthetic clip: a diagonal gradient moving right
// and a bright square moving down, with mild chroma.
func synth(w, h, n int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Y[y*img.YStride+x] = uint8((x + y + 4*n) * 255 / (w + h))
		}
	}
	s := h / 5
	sx, sy := w/3, (n*3)%(h-s)
	for y := sy; y < sy+s; y++ {
		for x := sx; x < sx+s; x++ {
			img.Y[y*img.YStride+x] = 235
		}
	}
	for i := range img.Cb {
		img.Cb[i] = 110
		img.Cr[i] = 150
	}
	return img
}

// psnrY is the PSNR in dB of got's pixels against want's Y plane.
func psnrY(t testing.TB, want *image.YCbCr, got *image.Gray) float64 {
	t.Helper()
	if got.Rect != want.Rect {
		t.Fatalf("decoded size %v; want %v", got.Rect, want.Rect)
	}
	var se float64
	w, h := want.Rect.Dx(), want.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := float64(want.Y[y*want.YStride+x]) - float64(got.Pix[y*got.Stride+x])
			se += d * d
		}
	}
	mse := se / float64(w*h)
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

// encodeClip encodes n synthetic frames of w×h; the first is a key frame.
func encodeClip(t testing.TB, w, h, n int) ([]*image.YCbCr, [][]byte) {
	t.Helper()
	enc, err := NewEncoder(w, h, 30, 1500)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var imgs []*image.YCbCr
	var frames [][]byte
	for i := 0; i < n; i++ {
		img := synth(w, h, i)
		f, key, err := enc.Encode(img, i == 0)
		if err != nil {
			t.Fatalf("encode frame %d: %v", i, err)
		}
		if i == 0 && !key {
			t.Fatalf("frame 0 is not a key frame")
		}
		if key != IsKeyframe(f) {
			t.Fatalf("frame %d: encoder says key=%v, header says %v", i, key, IsKeyframe(f))
		}
		imgs = append(imgs, img)
		frames = append(frames, f)
	}
	return imgs, frames
}

func newDecoder(t testing.TB, opts ...DecoderOption) *Decoder {
	t.Helper()
	d, err := NewDecoder(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestRoundTripPSNR(t *testing.T) {
	imgs, frames := encodeClip(t, 640, 480, 30)
	d := newDecoder(t)
	for i, f := range frames {
		g, err := d.Decode(f)
		if err != nil {
			t.Fatalf("decode frame %d: %v", i, err)
		}
		if p := psnrY(t, imgs[i], g); p < 32 {
			t.Errorf("frame %d: Y PSNR %.1f dB; want ≥ 32", i, p)
		}
	}
}

func TestDecodeGrayReusesBuffer(t *testing.T) {
	_, frames := encodeClip(t, 320, 240, 5)
	d := newDecoder(t)
	dst := image.NewGray(image.Rect(0, 0, 640, 480)) // larger than needed
	p := &dst.Pix[0]
	for i, f := range frames {
		g, err := d.DecodeGray(f, dst)
		if err != nil {
			t.Fatalf("decode frame %d: %v", i, err)
		}
		if g != dst || &g.Pix[0] != p {
			t.Fatalf("frame %d: DecodeGray did not reuse dst", i)
		}
		if g.Rect != image.Rect(0, 0, 320, 240) || g.Stride != 320 || len(g.Pix) != 320*240 {
			t.Fatalf("frame %d: got rect %v stride %d len %d", i, g.Rect, g.Stride, len(g.Pix))
		}
	}
}

func TestDecodeAllocsZero(t *testing.T) {
	_, frames := encodeClip(t, 640, 480, 10)
	d := newDecoder(t)
	i := 0
	if _, err := d.Decode(frames[0]); err != nil { // grow the buffer once
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(50, func() {
		i = (i + 1) % len(frames)
		if _, err := d.Decode(frames[i]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Decode allocates %.1f times per frame; want 0", allocs)
	}
}

func TestSizeChange(t *testing.T) {
	d := newDecoder(t)
	for _, sz := range []image.Point{{320, 240}, {640, 480}, {160, 120}, {1280, 720}} {
		imgs, frames := encodeClip(t, sz.X, sz.Y, 3)
		for i, f := range frames {
			g, err := d.Decode(f)
			if err != nil {
				t.Fatalf("%v frame %d: %v", sz, i, err)
			}
			if p := psnrY(t, imgs[i], g); p < 30 {
				t.Errorf("%v frame %d: PSNR %.1f", sz, i, p)
			}
		}
	}
}

func TestTooLargeRefused(t *testing.T) {
	_, big := encodeClip(t, 1296, 720, 2)
	_, small := encodeClip(t, 320, 240, 2)
	d := newDecoder(t)
	if _, err := d.Decode(big[0]); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("decode 1296×720 key frame: err %v; want ErrTooLarge", err)
	}
	if _, err := d.Decode(big[1]); !errors.Is(err, ErrNeedKeyframe) {
		t.Fatalf("decode inter frame after refusal: err %v; want ErrNeedKeyframe", err)
	}
	if _, err := d.Decode(small[0]); err != nil {
		t.Fatalf("decode key frame after refusal: %v", err)
	}

	d2 := newDecoder(t, WithMaxSize(160, 120))
	if _, err := d2.Decode(small[0]); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("WithMaxSize(160,120): err %v; want ErrTooLarge", err)
	}
}

func TestCorruptInput(t *testing.T) {
	_, frames := encodeClip(t, 320, 240, 4)
	key := frames[0]

	flipped := bytes.Clone(key)
	for i := 20; i < len(flipped); i += 7 {
		flipped[i] ^= 0x5a
	}
	garbage := make([]byte, 500)
	for i := range garbage {
		garbage[i] = byte(i*31 + 7)
	}
	garbage[0] &^= 1 // claims to be a key frame

	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"two bytes", []byte{0, 1}, ErrCorrupt},
		{"no start code", garbage, ErrCorrupt},
		{"truncated key frame", key[:len(key)/3], ErrCorrupt},
		{"header only", key[:10], ErrCorrupt},
		{"bit flips", flipped, nil}, // may decode or fail: must not crash
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDecoder(t)
			_, err := d.Decode(c.data)
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err %v; want %v", err, c.want)
			}
			// The decoder recovers at the next key frame.
			if _, err := d.Decode(key); err != nil {
				t.Fatalf("key frame after bad input: %v", err)
			}
			if _, err := d.Decode(frames[1]); err != nil {
				t.Fatalf("inter frame after recovery: %v", err)
			}
		})
	}
}

func TestInterFrameFirstNeedsKeyframe(t *testing.T) {
	_, frames := encodeClip(t, 320, 240, 3)
	d := newDecoder(t)
	if _, err := d.Decode(frames[1]); !errors.Is(err, ErrNeedKeyframe) {
		t.Fatalf("inter frame first: err %v; want ErrNeedKeyframe", err)
	}
}

func TestCloseTwiceAndLiveCount(t *testing.T) {
	base := LiveDecoders()
	baseEnc := LiveEncoders()
	var ds []*Decoder
	for i := 0; i < 5; i++ {
		d, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	e, err := NewEncoder(64, 64, 30, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := LiveDecoders() - base; got != 5 {
		t.Fatalf("live decoders %d; want 5", got)
	}
	if got := LiveEncoders() - baseEnc; got != 1 {
		t.Fatalf("live encoders %d; want 1", got)
	}
	for _, d := range ds {
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	e.Close()
	e.Close()
	if got := LiveDecoders(); got != base {
		t.Fatalf("live decoders after Close %d; want %d", got, base)
	}
	if got := LiveEncoders(); got != baseEnc {
		t.Fatalf("live encoders after Close %d; want %d", got, baseEnc)
	}
	_, frames := encodeClip(t, 64, 64, 1)
	if _, err := ds[0].Decode(frames[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Decode after Close: err %v; want ErrClosed", err)
	}
	if _, _, err := e.Encode(synth(64, 64, 0), false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode after Close: err %v; want ErrClosed", err)
	}
}

func TestEncoderRejectsBadInput(t *testing.T) {
	e, err := NewEncoder(64, 48, 30, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, _, err := e.Encode(synth(32, 32, 0), false); err == nil {
		t.Error("wrong size accepted")
	}
	img444 := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio444)
	if _, _, err := e.Encode(img444, false); err == nil {
		t.Error("4:4:4 image accepted")
	}
	if _, err := NewEncoder(0, 48, 30, 100); err == nil {
		t.Error("zero width accepted")
	}
}

func TestForceKeyframe(t *testing.T) {
	e, err := NewEncoder(160, 120, 30, 300)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := 0; i < 6; i++ {
		_, key, err := e.Encode(synth(160, 120, i), i == 4)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 0 || i == 4; key != want {
			t.Errorf("frame %d: key %v; want %v", i, key, want)
		}
	}
}

func BenchmarkDecode640x480(b *testing.B) {
	_, frames := encodeClip(b, 640, 480, 60)
	d := newDecoder(b)
	var n int
	for _, f := range frames {
		n += len(f)
	}
	b.ReportAllocs()
	b.SetBytes(int64(n / len(frames)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Decode(frames[i%len(frames)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode640x480(b *testing.B) {
	imgs := make([]*image.YCbCr, 60)
	for i := range imgs {
		imgs[i] = synth(640, 480, i)
	}
	e, err := NewEncoder(640, 480, 30, 1500)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := e.Encode(imgs[i%len(imgs)], false); err != nil {
			b.Fatal(err)
		}
	}
}

// textured draws frame n of a harder clip: a fixed noise texture panning
// by 2 pixels a frame (like a hand-held camera), so most blocks change.
func textured(w, h, n int, tex []byte) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	tw := w + 512
	for y := 0; y < h; y++ {
		copy(img.Y[y*img.YStride:y*img.YStride+w], tex[y*tw+2*n%512:])
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 120, 136
	}
	return img
}

func noiseTexture(w, h int) []byte {
	tw := w + 512
	tex := make([]byte, tw*h)
	s := uint32(1)
	for i := range tex {
		s = s*1664525 + 1013904223
		// Smooth-ish noise: blend with the left and upper neighbours.
		v := int(s >> 24)
		if i%tw > 0 {
			v = (v + 3*int(tex[i-1])) / 4
		}
		if i >= tw {
			v = (v + int(tex[i-tw])) / 2
		}
		tex[i] = uint8(v)
	}
	return tex
}

// BenchmarkDecode640x480Textured decodes a panning noise texture, closer
// to a camera than the gradient clip, at two bitrates.
func BenchmarkDecode640x480Textured(b *testing.B) {
	const w, h = 640, 480
	tex := noiseTexture(w, h)
	for _, kbps := range []int{1500, 5000} {
		b.Run(fmt.Sprintf("%dkbps", kbps), func(b *testing.B) {
			enc, err := NewEncoder(w, h, 30, kbps)
			if err != nil {
				b.Fatal(err)
			}
			var frames [][]byte
			n := 0
			for i := 0; i < 60; i++ {
				f, _, err := enc.Encode(textured(w, h, i, tex), i == 0)
				if err != nil {
					b.Fatal(err)
				}
				frames = append(frames, f)
				n += len(f)
			}
			enc.Close()
			d := newDecoder(b)
			b.ReportAllocs()
			b.SetBytes(int64(n / len(frames)))
			for i := 0; b.Loop(); i++ {
				if _, err := d.Decode(frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeColourSizes decodes the panning texture into colour
// frames (the live path: DecodeYCbCr, the anti-spoofing model needs
// colour) at the size the page asked for before (640×480) and at 480×360,
// both at 1500 kbit/s (the smaller frame gets more bits per pixel, so its
// ratio is if anything pessimistic). cpu-ns/op is the process's CPU time
// per frame, which other work on a shared machine disturbs less than the
// wall time.
func BenchmarkDecodeColourSizes(b *testing.B) {
	for _, size := range []image.Point{{640, 480}, {480, 360}} {
		b.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(b *testing.B) {
			tex := noiseTexture(size.X, size.Y)
			enc, err := NewEncoder(size.X, size.Y, 15, 1500)
			if err != nil {
				b.Fatal(err)
			}
			var frames [][]byte
			for i := 0; i < 60; i++ {
				f, _, err := enc.Encode(textured(size.X, size.Y, i, tex), i == 0)
				if err != nil {
					b.Fatal(err)
				}
				frames = append(frames, f)
			}
			enc.Close()
			d := newDecoder(b)
			var dst image.YCbCr
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for i := 0; b.Loop(); i++ {
				if _, err := d.DecodeYCbCr(frames[i%len(frames)], &dst); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
