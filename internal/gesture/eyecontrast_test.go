package gesture

import (
	"image"
	"image/color"
	"testing"
)

// eyePatch draws an eye between corners (40, 50) and (60, 50) on a grey
// skin of level skin: open, a dark iris of level iris in the middle; closed,
// a lid of two shades only (skin and a slightly darker lash line). skin
// is at most 235.
func eyePatch(skin, iris uint8, open bool) (*image.Gray, *Landmarks) {
	img := image.NewGray(image.Rect(0, 0, 100, 100))
	for i := range img.Pix {
		img.Pix[i] = skin
	}
	for y := 46; y < 55; y++ {
		for x := 42; x < 58; x++ {
			switch {
			case open && x >= 47 && x < 53:
				img.SetGray(x, y, color.Gray{Y: iris})
			case open:
				img.SetGray(x, y, color.Gray{Y: skin + 20})
			case y == 50:
				img.SetGray(x, y, color.Gray{Y: skin - 6}) // the lash line
			}
		}
	}
	var lm Landmarks
	lm[36], lm[39] = Point{40, 50}, Point{60, 50}
	lm[42], lm[45] = Point{40, 50}, Point{60, 50}
	return img, &lm
}

func TestEyeContrastClosedDimEye(t *testing.T) {
	// A closed eye in a dim picture has no pixel under 0.55 of the box's
	// 90th percentile: its contrast is a measure (small, above 0), not
	// "unknown" (0), and it reads closed against an open eye's baseline.
	openImg, lm := eyePatch(40, 12, true)
	closedImg, _ := eyePatch(40, 12, false)
	open := eyeContrast(openImg, lm, 36)
	closed := eyeContrast(closedImg, lm, 36)
	if open <= 0 {
		t.Fatalf("open eye: contrast %v; want > 0", open)
	}
	if closed <= 0 || closed >= 0.1*open {
		t.Fatalf("closed dim eye: contrast %v; want in (0, %v)", closed, 0.1*open)
	}
	cfg := DefaultChallengeConfig()
	// The landmarks (EAR) read the closed eye as open as the baseline:
	// the picture alone must close it.
	if got := closure(0.3, 0.3, closed, open, &cfg); got < 1 {
		t.Errorf("closure of the closed dim eye %v; want >= 1", got)
	}
}
