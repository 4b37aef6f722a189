package perception

import (
	"fmt"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// StillModels returns a loader of the single-image checker's models for
// gesture.NewLazyStillChecker: a YuNet detector (the 2022mar model at
// yunetPath) and the 68-point landmark model at landmarkPath. The detector
// lives as long as the process.
func StillModels(yunetPath, landmarkPath string) func() (gesture.FaceDetector, gesture.LandmarkPredictor, error) {
	return func() (gesture.FaceDetector, gesture.LandmarkPredictor, error) {
		model, err := landmarks.Load(landmarkPath)
		if err != nil {
			return nil, nil, fmt.Errorf("vision: still models: %w", err)
		}
		pred, err := gesture.NewModelPredictor(model)
		if err != nil {
			return nil, nil, err
		}
		det, err := NewDetector(yunetPath)
		if err != nil {
			return nil, nil, fmt.Errorf("vision: still models: %w", err)
		}
		return gesture.AdaptDetector((*Detector).DetectFaces, det), pred, nil
	}
}
