package perception

import (
	"errors"
	"image"
	"sync"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// ErrNoFace is returned by PhotoLandmarker.Landmarks for a photo without a
// face.
var ErrNoFace = errors.New("no face found in the photo")

// PhotoLandmarker finds the 68 landmarks of a photo's face with the
// engine's own models, as the test-footage generator (facegen) needs them
// to animate the photo: YuNet finds the face (the largest one when there
// are several), dlib's 68-point model places the points. It is safe for
// concurrent use.
type PhotoLandmarker struct {
	mu        sync.Mutex
	det       *Detector
	landmarks *landmarks.Model
	pts       []landmarks.Point
}

// NewPhotoLandmarker loads the models of cfg (cfg.Detectors is ignored).
// Photos are detected at up to 640 pixels wide, twice the live engine's
// width, since a photo's face may be small.
func NewPhotoLandmarker(cfg Config) (*PhotoLandmarker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	det, err := NewDetector(cfg.YuNet, WithMaxInputWidth(640))
	if err != nil {
		return nil, err
	}
	lm, err := loadLandmarks(cfg.Landmarks)
	if err != nil {
		det.Close()
		return nil, err
	}
	return &PhotoLandmarker{det: det, landmarks: lm, pts: make([]landmarks.Point, gesture.NumLandmarks)}, nil
}

// Close frees the detector.
func (l *PhotoLandmarker) Close() error { return l.det.Close() }

// Landmarks finds the 68 landmarks of the largest face of img.
func (l *PhotoLandmarker) Landmarks(img *image.Gray) (gesture.Landmarks, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	faces, err := l.det.Detect(img)
	if err != nil {
		return gesture.Landmarks{}, err
	}
	if len(faces) == 0 {
		return gesture.Landmarks{}, ErrNoFace
	}
	best := faces[0]
	for _, f := range faces[1:] {
		if f.Box.Dx()*f.Box.Dy() > best.Box.Dx()*best.Box.Dy() {
			best = f
		}
	}
	l.landmarks.Predict(img, BoxFromYuNet(best), l.pts)
	var out gesture.Landmarks
	for i, p := range l.pts {
		out[i] = gesture.Point{X: p.X, Y: p.Y}
	}
	return out, nil
}

// LazyPhotoLandmarks returns PhotoLandmarker.Landmarks of cfg's models,
// loaded on the first call: most runs of the footage tools and tests find
// a photo's landmarks in facegen's cache and never need the models. The
// models, once loaded, live as long as the process.
func LazyPhotoLandmarks(cfg Config) func(img *image.Gray) (gesture.Landmarks, error) {
	var (
		once sync.Once
		l    *PhotoLandmarker
		err  error
	)
	return func(img *image.Gray) (gesture.Landmarks, error) {
		once.Do(func() { l, err = NewPhotoLandmarker(cfg) })
		if err != nil {
			return gesture.Landmarks{}, err
		}
		return l.Landmarks(img)
	}
}
