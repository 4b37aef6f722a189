package gesture

import (
	"fmt"
	"image"
	"math"

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
	p.p.PredictGain(img, box, p.buf[:], float32(contrastGain(img, box)))
	for i, q := range p.buf {
		out[i] = Point{X: q.X, Y: q.Y}
	}
}

// Contrast normalisation before the landmark trees: a face whose grey
// levels spread less than minFaceStd (the standard deviation over its box;
// 34–53 for the well-lit faces of testdata/faces, 12–17 in a dim room, 18–25
// backlit) is read with its contrast scaled up to it, by at most maxGain.
// Well-exposed faces are read as they are.
const (
	minFaceStd = 32
	maxGain    = 4
)

// contrastGain is the gain that brings the grey levels' spread in box up to
// minFaceStd, from about 24×24 samples.
func contrastGain(img *image.Gray, box image.Rectangle) float64 {
	r := box.Intersect(img.Rect)
	if r.Dx() < 2 || r.Dy() < 2 {
		return 1
	}
	step := max(1, max(r.Dx(), r.Dy())/24)
	var s, s2 float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += step {
		row := img.Pix[img.PixOffset(r.Min.X, y):]
		for x := 0; x < r.Dx(); x += step {
			v := float64(row[x])
			s += v
			s2 += v * v
			n++
		}
	}
	m := s / float64(n)
	sd := math.Sqrt(max(s2/float64(n)-m*m, 0))
	if sd >= minFaceStd {
		return 1
	}
	return min(maxGain, minFaceStd/max(sd, 1))
}
