//go:build matprofile

package perception_test

import (
	"context"
	"image"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livegate/livegate/internal/perception"
)

// TestPassiveNoMatLeak: a Passive checker's checks (one face, no face, a
// second look at 640 wide) leave no Mat behind once it is closed.
func TestPassiveNoMatLeak(t *testing.T) {
	before := gocv.MatProfile.Count()
	p := perception.NewPassive(perception.PassiveConfig{YuNet: yunetModel})
	imgs := []image.Image{
		decodeColour(t, filepath.Join("..", "..", "testdata", "faces", "grace-hopper-1984.jpg")),
		image.NewRGBA(image.Rect(0, 0, 800, 600)), // no face: both widths
	}
	for range 3 {
		for _, img := range imgs {
			if _, _, err := p.CheckPassive(context.Background(), img); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.Close()
	if after := gocv.MatProfile.Count(); after != before {
		t.Errorf("Mats: %d before, %d after Close", before, after)
	}
}
