package perception_test

import (
	"errors"
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/perception"
)

// TestReadVideoRGBA reads a real clip in colour: every source frame (283 in
// mauckc's clip), letterboxed like ReadVideo's grey frames, whose luma it
// matches.
func TestReadVideoRGBA(t *testing.T) {
	clip := filepath.Join("..", "..", "testdata", "footage", "mauckc_mouth_open.mp4")
	const w, h = 320, 320 // taller than the clip's aspect: black bands above and below
	var grey *image.Gray
	err := perception.ReadVideo(clip, 30, w, h, func(_ time.Duration, img *image.Gray) bool {
		grey = image.NewGray(img.Rect)
		copy(grey.Pix, img.Pix)
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var sum, count float64
	var corner uint8
	err = perception.ReadVideoRGBA(clip, w, h, func(img *image.RGBA) error {
		if n == 0 {
			corner = max(img.Pix[0], img.Pix[1], img.Pix[2])
			if a := img.Pix[3]; a != 0xff {
				t.Errorf("letterbox corner's alpha: got %d; want opaque", a)
			}
			for i := 0; i < w*h; i++ {
				p := img.Pix[4*i:]
				y := 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
				d := y - float64(grey.Pix[i])
				if d < 0 {
					d = -d
				}
				sum += d
				count++
			}
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 283 {
		t.Errorf("frames: got %d; want the clip's 283", n)
	}
	if corner != 0 {
		t.Errorf("letterbox corner: got %d; want black", corner)
	}
	if mean := sum / count; mean > 1.5 {
		t.Errorf("first frame's luma against ReadVideo's grey: mean difference %.2f levels; want ≤ 1.5", mean)
	}

	stop := errors.New("stop")
	calls := 0
	if err := perception.ReadVideoRGBA(clip, w, h, func(*image.RGBA) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn's error: got %v after %d calls; want it returned after 1", err, calls)
	}
	if err := perception.ReadVideoRGBA(filepath.Join(t.TempDir(), "none.mp4"), w, h, func(*image.RGBA) error { return nil }); err == nil {
		t.Error("a missing file read without error")
	}
	if err := perception.ReadVideoRGBA(clip, 0, h, func(*image.RGBA) error { return nil }); err == nil {
		t.Error("width 0 accepted")
	}
}
