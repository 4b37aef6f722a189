package gesture

import (
	"fmt"
	"image"

	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// modelPredictor adapts the pure-Go 68-point regression-tree model to
// LandmarkPredictor.
type modelPredictor struct {
	p   *landmarks.Predictor
	buf [NumLandmarks]landmarks.Point
}

var _ LandmarkPredictor = (*modelPredictor)(nil)

// NewModelPredictor wraps a 68-point landmarks model (for example dlib's
// shape_predictor_68_face_landmarks.dat read by landmarks.Load). The
// predictor it returns keeps scratch memory: use one per Engine.
func NewModelPredictor(m *landmarks.Model) (LandmarkPredictor, error) {
	if n := m.NumLandmarks(); n != NumLandmarks {
		return nil, fmt.Errorf("gesture: landmark model has %d points; want %d", n, NumLandmarks)
	}
	return &modelPredictor{p: landmarks.NewPredictor(m)}, nil
}

func (p *modelPredictor) BoxFor(f Face) image.Rectangle {
	return landmarks.BoxFromDetection(f.Box, f.Keypoints)
}

func (p *modelPredictor) Predict(img *image.Gray, box image.Rectangle, out *Landmarks) {
	p.p.Predict(img, box, p.buf[:])
	for i, q := range p.buf {
		out[i] = Point{X: q.X, Y: q.Y}
	}
}
