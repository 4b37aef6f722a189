package vpx

import (
	"image"
	"math"
	"testing"
)

// The colour decode gives the same luma as the grey one and chroma close
// to what was encoded (synth's flat Cb 110, Cr 150), reusing dst's planes
// and allocating nothing once they have grown.
func TestDecodeYCbCr(t *testing.T) {
	imgs, frames := encodeClip(t, 322, 242, 8) // odd chroma sizes: 161×121
	grey, colour := newDecoder(t), newDecoder(t)
	var dst image.YCbCr
	for i, f := range frames {
		g, err := grey.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := colour.DecodeYCbCr(f, &dst)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if c != &dst || c.Rect != imgs[i].Rect || c.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("frame %d: got %p rect %v ratio %v; want dst, %v, 4:2:0", i, c, c.Rect, c.SubsampleRatio, imgs[i].Rect)
		}
		if c.CStride != 161 || len(c.Cb) != 161*121 || len(c.Cr) != 161*121 {
			t.Fatalf("frame %d: chroma stride %d len %d/%d; want 161, %d", i, c.CStride, len(c.Cb), len(c.Cr), 161*121)
		}
		for y := 0; y < 242; y++ {
			for x := 0; x < 322; x++ {
				if c.Y[y*c.YStride+x] != g.Pix[y*g.Stride+x] {
					t.Fatalf("frame %d: luma (%d,%d) %d; grey decode %d", i, x, y, c.Y[y*c.YStride+x], g.Pix[y*g.Stride+x])
				}
			}
		}
		var db, dr float64
		for j := range c.Cb {
			db += math.Abs(float64(c.Cb[j]) - 110)
			dr += math.Abs(float64(c.Cr[j]) - 150)
		}
		if n := float64(len(c.Cb)); db/n > 2 || dr/n > 2 {
			t.Errorf("frame %d: mean chroma error Cb %.2f Cr %.2f; want ≤ 2", i, db/n, dr/n)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(20, func() {
		i = (i + 1) % len(frames)
		if _, err := colour.DecodeYCbCr(frames[i], &dst); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("DecodeYCbCr allocates %.1f times per frame; want 0", allocs)
	}
}

// BenchmarkDecodeColour compares the grey and the colour decode of the
// same 640×480 clip in one run: the colour one's extra cost is the chroma
// copy the live path pays to keep the anti-spoofing model fed.
func BenchmarkDecodeColour(b *testing.B) {
	_, frames := encodeClip(b, 640, 480, 60)
	b.Run("grey", func(b *testing.B) {
		d := newDecoder(b)
		var dst image.Gray
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := d.DecodeGray(frames[i%len(frames)], &dst); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("colour", func(b *testing.B) {
		d := newDecoder(b)
		var dst image.YCbCr
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := d.DecodeYCbCr(frames[i%len(frames)], &dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}
