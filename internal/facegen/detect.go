package facegen

import (
	"errors"
	"image"
	"image/draw"
	"os"
	"path/filepath"

	"github.com/livegate/livegate/internal/gesture"
)

// EngineLandmarks adapts the engine's photo landmarking
// (perception.PhotoLandmarker.Landmarks, or perception.LazyPhotoLandmarks)
// to Landmarker, so that facegen animates a photo with the landmarks the
// engine itself would find, without importing OpenCV.
type EngineLandmarks func(img *image.Gray) (gesture.Landmarks, error)

// Landmarks finds the landmarks of img's face with fn.
func (fn EngineLandmarks) Landmarks(img image.Image) (Landmarks, error) {
	lm, err := fn(Gray(img))
	if err != nil {
		return Landmarks{}, err
	}
	var out Landmarks
	for i, p := range lm {
		out[i] = Pt{float64(p.X), float64(p.Y)}
	}
	return out, nil
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

// Gray converts an image to grey (luma), keeping its bounds.
func Gray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g
}
