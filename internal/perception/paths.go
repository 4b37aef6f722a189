package perception

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// DefaultYuNetPaths are tried in order when no YuNet path is given: the
// repository's models directory (relative to the working directory or one
// of its parents) and where the Docker image puts it.
var DefaultYuNetPaths = []string{
	"models/yunet/face_detection_yunet_2022mar.onnx",
	"/usr/share/livegate/models/yunet/face_detection_yunet_2022mar.onnx",
}

// Config names the model files of Load and sizes its detector pool.
type Config struct {
	// YuNet is the YuNet face detector (the 2022mar ONNX release, the only
	// one OpenCV 4.6 loads); "" means FindYuNet("").
	YuNet string
	// Landmarks is dlib's 68-point shape predictor; "" means
	// landmarks.DefaultModelPath.
	Landmarks string
	// Detectors is how many YuNet detectors Load pools: one per analysis
	// that may run at once (at least 1).
	Detectors int
}

// withDefaults fills in the empty paths.
func (c Config) withDefaults() (Config, error) {
	if c.Landmarks == "" {
		c.Landmarks = landmarks.DefaultModelPath
	}
	y, err := FindYuNet(c.YuNet)
	if err != nil {
		return c, err
	}
	c.YuNet = y
	c.Detectors = max(1, c.Detectors)
	return c, nil
}

// FootageConfig is the configuration of the footage tools (cmd/facegen,
// gesture-eval, tests that render clips): the repository's YuNet model
// (when found) and Debian's dlib model, overridden by the environment
// variables FACEGEN_YUNET and FACEGEN_LANDMARKS.
func FootageConfig() Config {
	c := Config{YuNet: os.Getenv("FACEGEN_YUNET"), Landmarks: os.Getenv("FACEGEN_LANDMARKS")}
	if c.YuNet == "" {
		c.YuNet, _ = FindYuNet("") // "" when missing: Load then says where it looked
	}
	if c.Landmarks == "" {
		c.Landmarks = landmarks.DefaultModelPath
	}
	return c
}

// FindYuNet returns path when it is not empty, else the first of
// DefaultYuNetPaths that exists; a relative one is also looked for in the
// working directory's parents (so tests and tools run from a package
// directory of the repository find it).
func FindYuNet(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	wd, _ := os.Getwd()
	for _, p := range DefaultYuNetPaths {
		if filepath.IsAbs(p) || wd == "" {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			continue
		}
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				return filepath.Join(dir, p), nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("perception: YuNet model not found in %v", DefaultYuNetPaths)
}
