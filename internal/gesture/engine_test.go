package gesture

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// fakeDetector returns the faces the test sets, and counts its calls.
type fakeDetector struct {
	faces []Face
	calls int
}

var _ FaceDetector = (*fakeDetector)(nil)

func (d *fakeDetector) DetectFaces(img *image.Gray, dst []Face) ([]Face, error) {
	d.calls++
	return append(dst[:0], d.faces...), nil
}

// fakeLandmarks returns the landmarks the test sets, whatever the box, and
// remembers the boxes it was asked about.
type fakeLandmarks struct {
	lm    Landmarks
	boxes []image.Rectangle
}

var _ LandmarkPredictor = (*fakeLandmarks)(nil)

func (p *fakeLandmarks) BoxFor(f Face) image.Rectangle { return f.Box.Inset(f.Box.Dx() / 10) }

func (p *fakeLandmarks) Predict(img *image.Gray, box image.Rectangle, out *Landmarks) {
	if len(p.boxes) < cap(p.boxes) {
		p.boxes = append(p.boxes, box)
	}
	*out = p.lm
}

func faceAt(lm *Landmarks) Face {
	x0, y0, x1, y1 := Bounds(lm)
	return Face{Box: image.Rect(int(x0)-5, int(y0)-15, int(x1)+5, int(y1)+5), Score: 0.9}
}

func shifted(lm Landmarks, dx float32) Landmarks {
	for i := range lm {
		lm[i].X += dx
	}
	return lm
}

func grey(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

func newFakes(s state) (*fakeDetector, *fakeLandmarks) {
	cam := GuessCamera(frameW, frameH)
	lm := newFace(1, 1).render(cam, s, 0, nil)
	return &fakeDetector{faces: []Face{faceAt(&lm)}}, &fakeLandmarks{lm: lm, boxes: make([]image.Rectangle, 0, 1000)}
}

func TestEngineDetectsOnlyToAcquireAndRecheck(t *testing.T) {
	det, lmk := newFakes(state{yaw: 20, pitch: -5})
	e := NewEngine(det, lmk)
	img := grey(frameW, frameH, 120)
	frames := 30 // 2 s at 15 frames/s
	var o Observation
	for i := 0; i < frames; i++ {
		o = e.Process(img, t0.Add(time.Duration(i)*time.Second/15))
	}
	// First frame, then every 300 ms: frames 0, 5, 10, 15, 20, 25.
	if det.calls != 6 || e.Detections() != 6 {
		t.Errorf("detector ran %d times in %d frames; want 6", det.calls, frames)
	}
	if o.Faces != 1 || o.Track != 1 {
		t.Errorf("faces %d track %d; want 1 and 1", o.Faces, o.Track)
	}
	if math.Abs(o.Yaw-20) > 4 || math.Abs(o.Pitch+5) > 4 {
		t.Errorf("pose yaw %.1f pitch %.1f; want about 20 and -5", o.Yaw, o.Pitch)
	}
	if o.Box.Empty() || o.Quality.FaceWidth < 0.1 || o.Quality.FaceWidth > 0.5 {
		t.Errorf("box %v face width %.2f", o.Box, o.Quality.FaceWidth)
	}
	// Every prediction after the first used a box from the landmarks
	// equal to the detection's box (the landmarks did not move).
	for i, b := range lmk.boxes {
		if b != lmk.boxes[0] {
			t.Fatalf("prediction %d in box %v; want %v", i, b, lmk.boxes[0])
		}
	}
}

func TestEngineTracksMovingLandmarks(t *testing.T) {
	det, lmk := newFakes(state{})
	e := NewEngine(det, lmk)
	img := grey(frameW, frameH, 120)
	e.Process(img, t0)
	first := lmk.boxes[0]
	lmk.lm = shifted(lmk.lm, 40)
	e.Process(img, t0.Add(66*time.Millisecond)) // tracked: box from previous (unmoved) landmarks
	e.Process(img, t0.Add(133*time.Millisecond))
	if got := lmk.boxes[2]; got.Min.X-first.Min.X < 38 || got.Min.X-first.Min.X > 42 || got.Dx() != first.Dx() {
		t.Errorf("tracking box %v after a 40 px move of %v", got, first)
	}
	if det.calls != 1 {
		t.Errorf("detector ran %d times; want 1", det.calls)
	}
}

func TestEngineTrackIDs(t *testing.T) {
	det, lmk := newFakes(state{})
	e := NewEngine(det, lmk, WithDetectInterval(time.Nanosecond)) // detect every frame
	img := grey(frameW, frameH, 120)
	at := t0
	step := func() Observation { at = at.Add(66 * time.Millisecond); return e.Process(img, at) }
	if o := step(); o.Track != 1 || o.Faces != 1 {
		t.Fatalf("first face: track %d faces %d", o.Track, o.Faces)
	}
	// A second face elsewhere: still the same track, two faces counted.
	other := shifted(lmk.lm, -250)
	det.faces = append(det.faces, faceAt(&other))
	if o := step(); o.Track != 1 || o.Faces != 2 {
		t.Errorf("two faces: track %d faces %d; want 1 and 2", o.Track, o.Faces)
	}
	// Lost, then back at the same place within a second: same track.
	saved := det.faces
	det.faces = nil
	if o := step(); o.Faces != 0 || o.Track != 0 {
		t.Errorf("no face: faces %d track %d", o.Faces, o.Track)
	}
	det.faces = saved[:1]
	if o := step(); o.Track != 1 {
		t.Errorf("face back at its place: track %d; want 1", o.Track)
	}
	// The detector now finds the face somewhere else: a jump, new track.
	lmk.lm = shifted(lmk.lm, 200)
	det.faces = []Face{faceAt(&lmk.lm)}
	if o := step(); o.Track != 2 {
		t.Errorf("after a jump: track %d; want 2", o.Track)
	}
	// Lost for longer than the reacquire time: new track even in place.
	det.faces = nil
	step()
	at = at.Add(2 * time.Second)
	det.faces = []Face{faceAt(&lmk.lm)}
	if o := step(); o.Track != 3 {
		t.Errorf("after a long loss: track %d; want 3", o.Track)
	}
}

func TestEngineQuality(t *testing.T) {
	det, lmk := newFakes(state{})
	e := NewEngine(det, lmk)
	dark := e.Process(grey(frameW, frameH, 20), t0)
	if math.Abs(dark.Quality.Brightness-20) > 0.5 || dark.Quality.Sharpness != 0 || dark.Quality.Outside {
		t.Errorf("flat dark frame: quality %+v", dark.Quality)
	}
	checker := grey(frameW, frameH, 0)
	for y := 0; y < frameH; y++ {
		for x := 0; x < frameW; x++ {
			if (x/2+y/2)%2 == 0 {
				checker.Pix[y*frameW+x] = 200
			}
		}
	}
	sharp := e.Process(checker, t0.Add(time.Second))
	if sharp.Quality.Sharpness < 100 || math.Abs(sharp.Quality.Brightness-100) > 20 {
		t.Errorf("checkerboard: quality %+v", sharp.Quality)
	}
	// Partly out of the frame.
	lmk.lm = shifted(lmk.lm, 300)
	det.faces = []Face{faceAt(&lmk.lm)}
	if o := e.Process(checker, t0.Add(2*time.Second)); !o.Quality.Outside || o.Faces != 1 {
		t.Errorf("face at the edge: faces %d quality %+v", o.Faces, o.Quality)
	}
}

func TestEngineDoesNotAllocate(t *testing.T) {
	det, lmk := newFakes(state{yaw: 10})
	lmk.boxes = nil
	e := NewEngine(det, lmk)
	img := grey(frameW, frameH, 120)
	at := t0
	for i := 0; i < 10; i++ {
		at = at.Add(66 * time.Millisecond)
		e.Process(img, at)
	}
	a := testing.AllocsPerRun(30, func() {
		at = at.Add(66 * time.Millisecond)
		e.Process(img, at)
	})
	if a != 0 {
		t.Errorf("Process: %.1f allocations per frame; want 0", a)
	}
}

func BenchmarkEngineProcessFakes(b *testing.B) {
	for _, size := range []image.Point{{640, 480}, {1280, 720}} {
		b.Run(fmtSize(size), func(b *testing.B) {
			cam := GuessCamera(size.X, size.Y)
			lm := newFace(1, 1).render(cam, state{yaw: 10}, 0, nil)
			det := &fakeDetector{faces: []Face{faceAt(&lm)}}
			e := NewEngine(det, &fakeLandmarks{lm: lm})
			img := grey(size.X, size.Y, 120)
			at := t0
			b.ReportAllocs()
			for b.Loop() {
				at = at.Add(66 * time.Millisecond)
				e.Process(img, at)
			}
		})
	}
}

func fmtSize(p image.Point) string { return fmt.Sprintf("%dx%d", p.X, p.Y) }

func TestLineRatioSeesDisplayLines(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	texture := func(lines float64) *image.Gray {
		img := image.NewGray(image.Rect(0, 0, 200, 200))
		for y := 0; y < 200; y++ {
			for x := 0; x < 200; x++ {
				// Smooth shading, isotropic noise, and optionally a scan-line
				// ripple slightly off horizontal (a hand-held display).
				v := 110 + 30*math.Sin(float64(x)/23)*math.Cos(float64(y)/31) + 4*r.NormFloat64()
				v *= 1 + lines*math.Sin(2*math.Pi*(float64(y)+0.02*float64(x))/2.7)
				img.Pix[y*200+x] = uint8(max(0, min(255, v)))
			}
		}
		return img
	}
	live, screen := lineRatio(texture(0), image.Rect(10, 10, 190, 190)), lineRatio(texture(0.035), image.Rect(10, 10, 190, 190))
	if live > 1.5 || screen < 2.5 {
		t.Errorf("line ratio: %.2f without lines, %.2f with; want ≤ 1.5 and ≥ 2.5", live, screen)
	}
}

// textured is a frame of random grey blocks (8×8 pixels) from seed.
func textured(seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 2))
	img := image.NewGray(image.Rect(0, 0, frameW, frameH))
	for by := 0; by < frameH; by += 8 {
		for bx := 0; bx < frameW; bx += 8 {
			v := uint8(40 + r.IntN(180))
			for y := by; y < by+8; y++ {
				for x := bx; x < bx+8; x++ {
					img.Pix[y*img.Stride+x] = v
				}
			}
		}
	}
	return img
}

// TestEngineRedetectionKeepsTrack: the tracked landmarks slid off the face
// (as in a fast turn), and the re-detection finds it where it was, away
// from them: in a continuous picture it is the same face and keeps its
// track; after a cut to another picture it starts a new one.
func TestEngineRedetectionKeepsTrack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cut   bool
		track int
	}{{"continuous picture", false, 1}, {"cut to another picture", true, 2}} {
		det, lmk := newFakes(state{})
		e := NewEngine(det, lmk)
		img := textured(1)
		at := t0
		step := func(img *image.Gray) Observation { at = at.Add(66 * time.Millisecond); return e.Process(img, at) }
		step(img)
		home := lmk.lm
		x0, _, x1, _ := Bounds(&home)
		lmk.lm = shifted(home, 0.7*(x1-x0)) // slid off by 0.7 face widths
		for range 3 {
			step(img)
		}
		if det.calls != 1 {
			t.Fatalf("%s: detector ran %d times before the re-check; want 1", tc.name, det.calls)
		}
		lmk.lm = home
		at = at.Add(300 * time.Millisecond) // the re-check is due
		if tc.cut {
			img = textured(2)
		}
		o := step(img)
		if det.calls != 2 {
			t.Fatalf("%s: detector ran %d times; want 2", tc.name, det.calls)
		}
		if o.Track != tc.track {
			t.Errorf("%s: track %d (continuity %.2f); want %d", tc.name, o.Track, o.Continuity, tc.track)
		}
	}
}
