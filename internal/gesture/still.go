package gesture

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"sync"

	"github.com/livegate/livegate/internal/session"
)

// StillThresholds are the absolute levels a single image is judged by: a
// still has no neutral face to compare with, so unlike the Challenge it
// cannot use the user's own baseline.
type StillThresholds struct {
	// Turn is the |yaw| in degrees from which the head is turned left or
	// right (default 20); Tilt the |pitch| for up or down (default 18: a
	// frontal photo taken from below often reads a few degrees up).
	Turn, Tilt float64
	// EyeClosed is the eye aspect ratio under which an eye is closed
	// (default 0.17; an open eye gives 0.25–0.35). EyeClosedContrast is the
	// ratio of one eye's picture contrast to the other's under which it is
	// closed while the other is open (a wink, which the landmark model's
	// shape prior hides from the aspect ratio; default 0.55), provided its
	// aspect ratio is under EyeWinkEAR (default 0.24).
	EyeClosed, EyeClosedContrast, EyeWinkEAR float64
	// MouthOpen is the mouth openness from which the mouth is open (default
	// 0.25; a closed mouth gives under 0.1).
	MouthOpen float64
	// MinFaceRatio: faces narrower than this fraction of the largest face
	// are ignored when counting faces (default 0.4), so a face on a poster
	// far behind the user does not fail the check.
	MinFaceRatio float64
}

// DefaultStillThresholds returns the default levels.
func DefaultStillThresholds() StillThresholds {
	return StillThresholds{
		Turn: 20, Tilt: 18,
		EyeClosed: 0.17, EyeClosedContrast: 0.55, EyeWinkEAR: 0.24,
		MouthOpen:    0.25,
		MinFaceRatio: 0.4,
	}
}

// StillMeasure is what StillChecker saw in one image.
type StillMeasure struct {
	// Faces is the number of faces counted (see MinFaceRatio).
	Faces int
	// Observation holds the landmarks, pose, eyes and mouth of the largest
	// face when Faces > 0.
	Observation Observation
	// ClosedLeft and ClosedRight are the user's own eyes' states.
	ClosedLeft, ClosedRight bool
	// Detected lists the gestures the image shows, most salient first.
	Detected []session.Gesture
}

// StillChecker judges a single image for a gesture (GLAIR's
// POST /face/v1/active-liveness). It serialises its checks: the detector
// and predictor keep scratch memory. Safe for concurrent use.
type StillChecker struct {
	load func() (FaceDetector, LandmarkPredictor, error)
	once sync.Once
	err  error
	th   StillThresholds

	mu    sync.Mutex
	det   FaceDetector
	lm    LandmarkPredictor
	faces []Face
}

// NewStillChecker returns a checker over a detector and a predictor with
// the default thresholds.
func NewStillChecker(det FaceDetector, lm LandmarkPredictor) *StillChecker {
	return NewLazyStillChecker(func() (FaceDetector, LandmarkPredictor, error) { return det, lm, nil })
}

// NewLazyStillChecker returns a checker whose detector and predictor come
// from load, called once at the first check (the models take a while to
// load, and a server should serve at once). A failed load fails every
// check.
func NewLazyStillChecker(load func() (FaceDetector, LandmarkPredictor, error)) *StillChecker {
	return &StillChecker{load: load, th: DefaultStillThresholds()}
}

// SetThresholds replaces the thresholds; call it before the first check.
func (s *StillChecker) SetThresholds(th StillThresholds) { s.th = th }

// CheckStill reports whether img shows the gesture g, as GLAIR's
// gesture_status (MATCH, NOT_MATCH, "face not detected", "too many faces
// detected") and detected_gesture: g when it matches, else the most
// salient gesture the image shows (empty without exactly one face).
func (s *StillChecker) CheckStill(ctx context.Context, img image.Image, g session.Gesture) (session.GestureStatus, session.Gesture, error) {
	if _, err := session.ParseGesture(string(g)); err != nil {
		return "", "", err
	}
	m, err := s.Measure(ctx, img)
	if err != nil {
		return "", "", err
	}
	switch {
	case m.Faces == 0:
		return session.GestureNoFace, "", nil
	case m.Faces > 1:
		return session.GestureTooManyFaces, "", nil
	}
	for _, d := range m.Detected {
		if d == g {
			return session.GestureMatch, g, nil
		}
	}
	if len(m.Detected) == 0 {
		return session.GestureNotMatch, "", nil
	}
	return session.GestureNotMatch, m.Detected[0], nil
}

// Measure finds the faces of img and measures the largest.
func (s *StillChecker) Measure(ctx context.Context, img image.Image) (StillMeasure, error) {
	s.once.Do(func() {
		s.det, s.lm, s.err = s.load()
		if s.err == nil && (s.det == nil || s.lm == nil) {
			s.err = errors.New("gesture: still checker: no detector or predictor")
		}
	})
	if s.err != nil {
		return StillMeasure{}, s.err
	}
	if err := ctx.Err(); err != nil {
		return StillMeasure{}, err
	}
	gray := ToGray(img)
	s.mu.Lock()
	defer s.mu.Unlock()
	faces, err := s.det.DetectFaces(gray, s.faces[:0])
	s.faces = faces
	if err != nil {
		return StillMeasure{}, err
	}
	var m StillMeasure
	if len(faces) == 0 {
		return m, nil
	}
	big := 0
	for i, f := range faces {
		if f.Box.Dx() > faces[big].Box.Dx() {
			big = i
		}
	}
	for _, f := range faces {
		if float64(f.Box.Dx()) >= s.th.MinFaceRatio*float64(faces[big].Box.Dx()) {
			m.Faces++
		}
	}
	o := Observation{Width: gray.Rect.Dx(), Height: gray.Rect.Dy(), Faces: m.Faces, Track: 1}
	s.lm.Predict(gray, s.lm.BoxFor(faces[big]), &o.Landmarks)
	x0, y0, x1, y1 := Bounds(&o.Landmarks)
	o.Box = image.Rect(int(math.Floor(float64(x0))), int(math.Floor(float64(y0))), int(math.Ceil(float64(x1))), int(math.Ceil(float64(y1))))
	o.Measure()
	o.EyeContrastLeft = eyeContrast(gray, &o.Landmarks, 42)
	o.EyeContrastRight = eyeContrast(gray, &o.Landmarks, 36)
	o.Quality = quality(gray, o.Box)
	m.Observation = o
	m.ClosedLeft, m.ClosedRight = s.closedEyes(&o)
	m.Detected = s.detected(&o, m.ClosedLeft, m.ClosedRight)
	return m, nil
}

// closedEyes judges each eye from its aspect ratio and, for a wink, from
// its picture contrast against the other eye's.
func (s *StillChecker) closedEyes(o *Observation) (left, right bool) {
	left = o.EyeLeft < s.th.EyeClosed
	right = o.EyeRight < s.th.EyeClosed
	cl, cr := o.EyeContrastLeft, o.EyeContrastRight
	if cl > 0 && cr > 0 {
		if !left && o.EyeLeft < s.th.EyeWinkEAR && cl < s.th.EyeClosedContrast*cr {
			left = true
		}
		if !right && o.EyeRight < s.th.EyeWinkEAR && cr < s.th.EyeClosedContrast*cl {
			right = true
		}
	}
	return left, right
}

// detected lists the gestures o shows, the most salient first: a turn or
// tilt (the largest), closed eyes, an open mouth, then the neutral states.
func (s *StillChecker) detected(o *Observation, closedL, closedR bool) []session.Gesture {
	var d []session.Gesture
	turns := []struct {
		g session.Gesture
		v float64
	}{
		{session.HeadLeft, o.Yaw / s.th.Turn},
		{session.HeadRight, -o.Yaw / s.th.Turn},
		{session.HeadUp, o.Pitch / s.th.Tilt},
		{session.HeadDown, -o.Pitch / s.th.Tilt},
	}
	best := -1
	for i, t := range turns {
		if t.v >= 1 && (best < 0 || t.v > turns[best].v) {
			best = i
		}
	}
	if best >= 0 {
		d = append(d, turns[best].g)
		for i, t := range turns {
			if i != best && t.v >= 1 {
				d = append(d, t.g)
			}
		}
	}
	switch {
	case closedL && closedR:
		d = append(d, session.HeadEyesClosed)
	case closedR:
		d = append(d, session.HeadRightClose)
	case closedL:
		d = append(d, session.HeadLeftClose)
	}
	open := o.Mouth >= s.th.MouthOpen
	if open {
		d = append(d, session.HeadOpenMouth)
	}
	if !closedL && !closedR {
		d = append(d, session.HeadEyesOpen)
	}
	if !open {
		d = append(d, session.HeadCloseMouth)
	}
	return d
}

// ToGray returns img's luma as an *image.Gray: the Y plane of a JPEG's
// YCbCr picture as it is, any other image through the grey colour model.
func ToGray(img image.Image) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr:
		for y := 0; y < b.Dy(); y++ {
			copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):])
		}
	default:
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				out.Pix[y*out.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return out
}
