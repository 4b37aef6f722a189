package perception_test

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"path/filepath"
	"testing"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
)

func newPassive(t testing.TB) *perception.Passive {
	t.Helper()
	p := perception.NewPassive(perception.PassiveConfig{YuNet: yunetModel})
	t.Cleanup(func() { p.Close() })
	return p
}

// TestPassivePhotos: every real photo has one face, and the clean ones
// score as real; the face found is the one YuNet finds on the grey copy.
// Run with -v for the scores.
func TestPassivePhotos(t *testing.T) {
	p := newPassive(t)
	for _, path := range photos(t) {
		img := decodeColour(t, path)
		faces, real, err := p.CheckPassive(context.Background(), img)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		t.Logf("%-26s faces %d real %.3f (spoof_percentage %.3f)", filepath.Base(path), faces, real, 1-real)
		if faces != 1 {
			t.Errorf("%s: %d faces; want 1", filepath.Base(path), faces)
		}
		if real < realThreshold {
			t.Errorf("%s: real %.3f; want ≥ %.2f", filepath.Base(path), real, realThreshold)
		}
	}
}

// TestPassiveNoFaceAndTwoFaces: a blank picture has no face and is not
// scored; two portraits side by side are two faces and are not scored.
func TestPassiveNoFaceAndTwoFaces(t *testing.T) {
	p := newPassive(t)
	blank := image.NewRGBA(image.Rect(0, 0, 320, 240))
	draw.Draw(blank, blank.Rect, &image.Uniform{color.RGBA{120, 110, 100, 255}}, image.Point{}, draw.Src)
	if faces, real, err := p.CheckPassive(context.Background(), blank); err != nil || faces != 0 || real != 0 {
		t.Errorf("blank: %d faces, real %v, err %v; want 0, 0, nil", faces, real, err)
	}

	a := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", "astronaut.png")) // 512×512
	b := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", "grace-hopper-1984.jpg"))
	pair := image.NewRGBA(image.Rect(0, 0, 1024, 606))
	draw.Draw(pair, image.Rect(0, 0, 512, 512), a, a.Bounds().Min, draw.Src)
	draw.Draw(pair, image.Rect(512, 0, 1024, 606), b, b.Bounds().Min, draw.Src)
	faces, real, err := p.CheckPassive(context.Background(), pair)
	if err != nil || faces != 2 || real != 0 {
		t.Errorf("two portraits: %d faces, real %v, err %v; want 2, 0, nil", faces, real, err)
	}
}

// TestPassiveSmallFace: a face too small for YuNet at 320 pixels wide (a
// portrait shrunk into a corner of a large picture) is found by the second
// look at 640, and scored.
func TestPassiveSmallFace(t *testing.T) {
	p := newPassive(t)
	src := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", "mazie-hirono.jpg")) // 800×1000
	small := image.NewRGBA(image.Rect(0, 0, 2000, 1500))
	draw.Draw(small, small.Rect, &image.Uniform{color.RGBA{90, 100, 110, 255}}, image.Point{}, draw.Src)
	const w, h = 160, 200 // the face about 90 px wide: 14 px at 320, 29 at 640
	sb := src.Bounds()
	for y := range h {
		for x := range w {
			small.Set(100+x, 100+y, src.At(sb.Min.X+x*sb.Dx()/w, sb.Min.Y+y*sb.Dy()/h))
		}
	}
	d := newDetector(t)
	if faces, err := d.Detect(gesture.ToGray(small)); err != nil || len(faces) != 0 {
		t.Fatalf("at 320 wide: %d faces, %v; the test needs a face YuNet misses there", len(faces), err)
	}
	r, err := p.Check(small)
	if err != nil || r.Faces != 1 || r.Real <= 0 || !r.Face.Box.In(image.Rect(100, 100, 100+w, 100+h).Inset(-20)) {
		t.Errorf("small face: %+v, %v; want one face in the corner, scored", r, err)
	}
	t.Logf("small face: box %v real %.3f", r.Face.Box, r.Real)
}

// TestPassiveGreyAndOffsetImages: a grey photo is scored (as colour
// without chroma) rather than refused, and an image whose bounds do not
// start at (0, 0) gives the same score as its copy that does.
func TestPassiveGreyAndOffsetImages(t *testing.T) {
	p := newPassive(t)
	path := filepath.Join("..", "..", "testdata", "faces", "mazie-hirono.jpg")
	img := toRGBA(decodeColour(t, path))
	_, want, err := p.CheckPassive(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	sub := image.NewRGBA(img.Rect.Add(image.Pt(37, 11)))
	draw.Draw(sub, sub.Rect, img, img.Rect.Min, draw.Src)
	if faces, got, err := p.CheckPassive(context.Background(), sub); err != nil || faces != 1 || got != want {
		t.Errorf("offset image: %d faces, real %v, err %v; want 1, %v", faces, got, err, want)
	}
	grey := loadGray(t, path)
	if faces, got, err := p.CheckPassive(context.Background(), grey); err != nil || faces != 1 || got < 0 || got > 1 {
		t.Errorf("grey image: %d faces, real %v, err %v; want 1 face and a probability", faces, got, err)
	} else {
		t.Logf("grey copy: real %.3f (colour %.3f)", got, want)
	}
}

func TestPassiveMissingModelAndClose(t *testing.T) {
	p := perception.NewPassive(perception.PassiveConfig{YuNet: yunetModel, MiniFASNetV2: filepath.Join(t.TempDir(), "nope.onnx")})
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for range 2 { // a failed load fails every check
		if _, _, err := p.CheckPassive(context.Background(), img); err == nil {
			t.Error("missing model: no error")
		}
	}
	q := newPassive(t)
	q.Close()
	if _, _, err := q.CheckPassive(context.Background(), img); err == nil {
		t.Error("after Close: no error")
	}
}

// BenchmarkPassive is one POST /face/v1/passive-liveness's model work on a
// 640×480 colour frame (grey copy, YuNet at up to 640 wide, MiniFASNet);
// compare with BenchmarkDetect640x480 of the same run.
func BenchmarkPassive(b *testing.B) {
	p := newPassive(b)
	img := colourFrame(b, 640, 480)
	if faces, _, err := p.CheckPassive(context.Background(), img); err != nil || faces != 1 {
		b.Fatalf("%d faces, %v", faces, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.CheckPassive(context.Background(), img)
	}
}
