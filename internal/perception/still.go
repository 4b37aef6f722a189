package perception

import (
	"fmt"

	"github.com/livegate/livegate/internal/gesture"
)

// StillModels returns a loader of the single-image checker's models for
// gesture.NewLazyStillChecker: one YuNet detector and the 68-point landmark
// model of cfg (cfg.Detectors is ignored). The models live as long as the
// process.
func StillModels(cfg Config) func() (gesture.FaceDetector, gesture.LandmarkPredictor, error) {
	return func() (gesture.FaceDetector, gesture.LandmarkPredictor, error) {
		cfg.Detectors = 1
		m, err := Load(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("perception: still models: %w", err)
		}
		pred, err := gesture.NewModelPredictor(m.landmarks)
		if err != nil {
			return nil, nil, err
		}
		return pooled{m.pool}, pred, nil
	}
}
