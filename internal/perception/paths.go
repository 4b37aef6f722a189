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
	if p, ok := findDefault(DefaultYuNetPaths); ok {
		return p, nil
	}
	return "", fmt.Errorf("perception: YuNet model not found in %v", DefaultYuNetPaths)
}

// DefaultMiniFASNetPaths are tried in order, as DefaultYuNetPaths are, when
// no MiniFASNet path is given: V2 is the model of crop scale 2.7, V1SE the
// one of crop scale 4.0.
var DefaultMiniFASNetPaths = struct{ V2, V1SE []string }{
	V2: []string{
		"models/minifasnet/2.7_80x80_MiniFASNetV2.onnx",
		"/usr/share/livegate/models/minifasnet/2.7_80x80_MiniFASNetV2.onnx",
	},
	V1SE: []string{
		"models/minifasnet/4_0_0_80x80_MiniFASNetV1SE.onnx",
		"/usr/share/livegate/models/minifasnet/4_0_0_80x80_MiniFASNetV1SE.onnx",
	},
}

// FindMiniFASNet returns the paths of the two MiniFASNet models: each one
// given, else the first of its DefaultMiniFASNetPaths that exists, looked
// for as FindYuNet does.
func FindMiniFASNet(v2, v1se string) (string, string, error) {
	for _, m := range []struct {
		path     *string
		defaults []string
	}{{&v2, DefaultMiniFASNetPaths.V2}, {&v1se, DefaultMiniFASNetPaths.V1SE}} {
		if *m.path != "" {
			continue
		}
		p, ok := findDefault(m.defaults)
		if !ok {
			return "", "", fmt.Errorf("perception: MiniFASNet model not found in %v", m.defaults)
		}
		*m.path = p
	}
	return v2, v1se, nil
}

// findDefault returns the first of paths that exists; a relative one is
// also looked for in the working directory's parents.
func findDefault(paths []string) (string, bool) {
	wd, _ := os.Getwd()
	for _, p := range paths {
		if filepath.IsAbs(p) || wd == "" {
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
			continue
		}
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				return filepath.Join(dir, p), true
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", false
}
