package facegen

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"sync"

	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/gesture/vision"
)

// Models are the paths of the engine's models that find a photo's landmarks.
type Models struct {
	YuNet     string // YuNet 2022mar ONNX file
	Landmarks string // dlib 68-point shape predictor
}

// DefaultModels returns the repository's YuNet model (found by walking up
// from the working directory to livegate's go.mod) and Debian's dlib model.
// FACEGEN_YUNET and FACEGEN_LANDMARKS override them.
func DefaultModels() Models {
	m := Models{Landmarks: landmarks.DefaultModelPath}
	if root, err := ModuleRoot(); err == nil {
		m.YuNet = filepath.Join(root, "models", "yunet", "face_detection_yunet_2022mar.onnx")
	}
	if p := os.Getenv("FACEGEN_YUNET"); p != "" {
		m.YuNet = p
	}
	if p := os.Getenv("FACEGEN_LANDMARKS"); p != "" {
		m.Landmarks = p
	}
	return m
}

// ModuleRoot finds the directory of livegate's go.mod above the working
// directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && len(b) > 0 && containsModule(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("facegen: livegate's go.mod not found above the working directory")
		}
		dir = parent
	}
}

func containsModule(gomod []byte) bool {
	const want = "module github.com/livegate/livegate\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}

// ModelLandmarker finds landmarks with the engine's own models: YuNet finds
// the face (the largest one when there are several), dlib's 68-point model
// places the points.
type ModelLandmarker struct {
	mu  sync.Mutex
	det *vision.Detector
	lm  *landmarks.Model
}

var _ Landmarker = (*ModelLandmarker)(nil)

// NewModelLandmarker loads both models.
func NewModelLandmarker(m Models) (*ModelLandmarker, error) {
	if m.YuNet == "" {
		return nil, errors.New("facegen: no YuNet model path")
	}
	det, err := vision.NewDetector(m.YuNet, vision.WithMaxInputWidth(640))
	if err != nil {
		return nil, fmt.Errorf("facegen: %w", err)
	}
	lm, err := landmarks.Load(m.Landmarks)
	if err != nil {
		det.Close()
		return nil, fmt.Errorf("facegen: %w", err)
	}
	return &ModelLandmarker{det: det, lm: lm}, nil
}

// Close frees the detector.
func (l *ModelLandmarker) Close() error { return l.det.Close() }

// Landmarks finds the 68 landmarks of the largest face of img.
func (l *ModelLandmarker) Landmarks(img image.Image) (Landmarks, error) {
	g := Gray(img)
	l.mu.Lock()
	faces, err := l.det.Detect(g)
	l.mu.Unlock()
	if err != nil {
		return Landmarks{}, err
	}
	if len(faces) == 0 {
		return Landmarks{}, errors.New("no face found in the photo")
	}
	best := faces[0]
	for _, f := range faces[1:] {
		if f.Box.Dx()*f.Box.Dy() > best.Box.Dx()*best.Box.Dy() {
			best = f
		}
	}
	box := landmarks.BoxFromDetection(best.Box, best.Keypoints)
	pts := make([]landmarks.Point, 68)
	l.lm.Predict(g, box, pts)
	var out Landmarks
	for i, p := range pts {
		out[i] = Pt{float64(p.X), float64(p.Y)}
	}
	return out, nil
}

// Gray converts an image to grey (luma), keeping its bounds.
func Gray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g
}
