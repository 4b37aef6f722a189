package perception_test

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
)

// realThreshold is the fused score every clean photo of a real person in
// the test set passes with its YuNet box. It is not a calibrated pass mark
// (that needs bona fide video frames and real attacks); it proves the
// preprocessing matches the models' training: a wrong channel order, scale
// or crop drives these scores towards 0.
const realThreshold = 0.4

func newAntiSpoof(t testing.TB) *perception.AntiSpoof {
	t.Helper()
	v2, v1se, err := perception.FindMiniFASNet("", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := perception.NewAntiSpoof(v2, v1se)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// decodeColour decodes the photo at path as the decoder gives it (JPEG:
// *image.YCbCr, PNG: *image.RGBA or *image.NRGBA).
func decodeColour(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// bestFace is YuNet's best face in the photo at path (found on its grey
// copy, as the engine finds faces).
func bestFace(t testing.TB, d *perception.Detector, g *image.Gray) gesture.Face {
	t.Helper()
	faces, err := d.Detect(g)
	if err != nil || len(faces) == 0 {
		t.Fatalf("%d faces, err %v", len(faces), err)
	}
	return faces[0]
}

func toRGBA(img image.Image) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

// TestAntiSpoofPhotos scores the real photos of testdata/faces (the same
// files as the team's shared faces folder) and gocv's face.jpg with their
// YuNet boxes: each is a bona fide face and must score as real. Run with -v
// for the per-photo scores.
func TestAntiSpoofPhotos(t *testing.T) {
	a := newAntiSpoof(t)
	d := newDetector(t)
	for _, p := range photos(t) {
		img := decodeColour(t, p)
		face := bestFace(t, d, loadGray(t, p))
		s, err := a.Score(img, face)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		// The RGBA path must read the same pixels as the YCbCr one.
		s2, err := a.Score(toRGBA(img), face)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-26s %T box %v: real %.3f (RGBA %.3f)", filepath.Base(p), img, face.Box, s, s2)
		if s < realThreshold {
			t.Errorf("%s: real score %.3f; want ≥ %.2f", filepath.Base(p), s, realThreshold)
		}
		if math.Abs(s-s2) > 0.02 {
			t.Errorf("%s: score %.3f from %T but %.3f from RGBA", filepath.Base(p), s, img, s2)
		}
	}
}

// TestAntiSpoofRecaptureSimulation reports the scores of the simulated
// recapture (see facegen.SimulateRecapture) beside the clean photos'. It asserts only that
// scoring works on it and gives a probability: whether a simulation fools
// the model says little about real screens and prints.
func TestAntiSpoofRecaptureSimulation(t *testing.T) {
	a := newAntiSpoof(t)
	d := newDetector(t)
	ps := photos(t)
	lower := map[string]int{}
	for _, p := range ps {
		img := decodeColour(t, p)
		face := bestFace(t, d, loadGray(t, p))
		clean, err := a.Score(img, face)
		if err != nil {
			t.Fatal(err)
		}
		// A fine screen (2 px cells) and a coarse one whose cells are a
		// 20th of the face's width, as a phone held close shows a face.
		line := fmt.Sprintf("%-26s clean %.3f", filepath.Base(p), clean)
		for _, v := range []struct {
			name string
			cell int
		}{{"fine", 2}, {"face/20", max(2, face.Box.Dx()/20)}} {
			sim, err := a.Score(facegen.SimulateRecapture(img, v.cell), face)
			if err != nil {
				t.Fatal(err)
			}
			if sim < 0 || sim > 1 {
				t.Errorf("%s: simulated recapture scores %v, not a probability", filepath.Base(p), sim)
			}
			if sim < clean {
				lower[v.name]++
			}
			line += fmt.Sprintf(", %s screen (cell %d px) %.3f", v.name, v.cell, sim)
		}
		t.Log(line)
	}
	t.Logf("simulated recaptures scoring lower than the clean photo, of %d: %v", len(ps), lower)
}

// TestAntiSpoofConcurrent scores from several goroutines at once: the
// mutex serialises the shared blob, so each gets the score a lone call gets.
func TestAntiSpoofConcurrent(t *testing.T) {
	a := newAntiSpoof(t)
	d := newDetector(t)
	p := filepath.Join("..", "..", "testdata", "faces", "grace-hopper-1984.jpg")
	img := decodeColour(t, p)
	face := bestFace(t, d, loadGray(t, p))
	want, err := a.Score(img, face)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				if got, err := a.Score(img, face); err != nil || got != want {
					t.Errorf("concurrent Score = %v, %v; want %v", got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestAntiSpoofErrors checks the inputs Score refuses and what NewAntiSpoof
// says of a missing model.
func TestAntiSpoofErrors(t *testing.T) {
	a := newAntiSpoof(t)
	rgba := image.NewRGBA(image.Rect(0, 0, 64, 48))
	face := gesture.Face{Box: image.Rect(20, 10, 40, 30)}
	if _, err := a.Score(image.NewRGBA(image.Rectangle{}), face); err == nil {
		t.Error("empty image: no error")
	}
	if _, err := a.Score(rgba, gesture.Face{Box: image.Rect(100, 100, 120, 120)}); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("box outside the image: err %v", err)
	}
	if _, err := a.Score(rgba, gesture.Face{}); err == nil {
		t.Error("empty box: no error")
	}
	if _, err := a.Score(image.NewGray(rgba.Rect), face); !errors.Is(err, perception.ErrNoColour) {
		t.Errorf("grey image: err %v; want ErrNoColour", err)
	}
	if _, err := a.Score(image.NewRGBA(image.Rect(0, 0, 5000, 10)), face); err == nil {
		t.Error("oversized image: no error")
	}
	// A box that only partly overlaps, and a tiny image, are scored.
	if s, err := a.Score(rgba, gesture.Face{Box: image.Rect(-10, -10, 10, 10)}); err != nil || s < 0 || s > 1 {
		t.Errorf("box over the corner: %v, %v", s, err)
	}
	if s, err := a.Score(image.NewRGBA(image.Rect(0, 0, 1, 1)), gesture.Face{Box: image.Rect(0, 0, 1, 1)}); err != nil || s < 0 || s > 1 {
		t.Errorf("1×1 image: %v, %v", s, err)
	}
	a.Close()
	if _, err := a.Score(rgba, face); !errors.Is(err, perception.ErrClosed) {
		t.Errorf("after Close: err %v; want ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	v2, v1se, _ := perception.FindMiniFASNet("", "")
	missing := filepath.Join(t.TempDir(), "nope.onnx")
	for _, paths := range [][2]string{{missing, v1se}, {v2, missing}} {
		_, err := perception.NewAntiSpoof(paths[0], paths[1])
		if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "MiniFASNet model") {
			t.Errorf("missing model %v: err %v", paths, err)
		}
	}
}

// TestCropBox checks upstream's crop rule: scaled around the centre, the
// scale clamped to what fits, shifted back inside, corners truncated.
func TestCropBox(t *testing.T) {
	for _, c := range []struct {
		name  string
		w, h  int
		box   image.Rectangle
		scale float64
		want  image.Rectangle
	}{
		// 100×100 box at the centre of 640×480: 270×270 around (320, 240).
		{"inside", 640, 480, image.Rect(270, 190, 370, 290), 2.7, image.Rect(185, 105, 456, 376)},
		// Sticks out 85 px on the left: shifted right by as much.
		{"left edge", 640, 480, image.Rect(0, 190, 100, 290), 2.7, image.Rect(0, 105, 271, 376)},
		// 216 px wide around x=600 reaches 708 > 639: shifted left by 69.
		{"right edge", 640, 480, image.Rect(560, 190, 640, 290), 2.7, image.Rect(423, 105, 640, 376)},
		// Scale 4 clamped to 149/100; 149 px tall around y=75 runs from 0.5 to
		// 149.5, shifted up to 0..149; x 25.5..174.5 truncates to 25..174.
		{"clamped", 200, 150, image.Rect(50, 25, 150, 125), 4, image.Rect(25, 0, 175, 150)},
		// A box the whole image wide can only be cropped to the image.
		{"whole", 80, 60, image.Rect(0, 0, 80, 60), 4, image.Rect(0, 0, 80, 60)},
	} {
		if got := perception.CropBox(c.w, c.h, c.box, c.scale); got != c.want {
			t.Errorf("%s: CropBox(%d, %d, %v, %v) = %v; want %v", c.name, c.w, c.h, c.box, c.scale, got, c.want)
		}
	}
	// Any box inside any image gives a crop inside the image that holds the
	// box's centre.
	for w := 1; w < 40; w += 7 {
		for h := 1; h < 40; h += 5 {
			for x := 0; x < w; x += 3 {
				for y := 0; y < h; y += 4 {
					box := image.Rect(x, y, min(w, x+1+x%5), min(h, y+1+y%7))
					for _, s := range []float64{perception.CropScaleV2, perception.CropScaleV1SE} {
						got := perception.CropBox(w, h, box, s)
						ctr := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
						if got.Empty() || !got.In(image.Rect(0, 0, w, h)) || !ctr.In(got) {
							t.Fatalf("CropBox(%d, %d, %v, %v) = %v", w, h, box, s, got)
						}
					}
				}
			}
		}
	}
}

// colourFrame is frame's 640×480 head-and-shoulders shot in colour.
func colourFrame(t testing.TB, w, h int) *image.RGBA {
	src := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", "portrait-obama-2012.jpg"))
	f := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(f, f.Rect, &image.Uniform{color.Gray{100}}, image.Point{}, draw.Src)
	sb := src.Bounds()
	sh := h
	sw := sb.Dx() * sh / sb.Dy()
	off := (w - sw) / 2
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			f.Set(off+x, y, src.At(sb.Min.X+x*sb.Dx()/sw, sb.Min.Y+y*sb.Dy()/sh))
		}
	}
	return f
}

// BenchmarkAntiSpoof is one face's score (both models) on a 640×480 frame;
// compare it with BenchmarkDetect640x480 in the same run.
func BenchmarkAntiSpoof(b *testing.B) {
	a := newAntiSpoof(b)
	d := newDetector(b)
	img := colourFrame(b, 640, 480)
	g := image.NewGray(img.Rect)
	draw.Draw(g, g.Rect, img, image.Point{}, draw.Src)
	face := bestFace(b, d, g)
	if _, err := a.Score(img, face); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		a.Score(img, face)
	}
}
