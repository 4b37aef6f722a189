// Package faceid computes face embeddings with dlib's face-recognition ResNet, rebuilt
// in pure Go from face-api's port of its weights, and compares them. It aligns a face
// from its 68 landmarks (found elsewhere: internal/perception) and knows nothing of
// detection, HTTP or sessions.
package faceid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// DefaultModelDir is where the model's two files are looked for when no path is given:
// the repository's models/facerec (relative to the working directory or one of its
// parents), then where the Docker image puts it.
var DefaultModelDirs = []string{"models/facerec", "/usr/share/livegate/models/facerec"}

// Model file names inside a model directory.
const (
	ManifestFile = "face_recognition_model-weights_manifest.json"
	WeightsFile  = "face_recognition_model.bin"
)

// FindModelDir returns dir when it is not empty, else the first of DefaultModelDirs
// holding the weights; a relative one is also looked for in the working directory's
// parents, so tests run from a package directory find it.
func FindModelDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	wd, _ := os.Getwd()
	for _, d := range DefaultModelDirs {
		if filepath.IsAbs(d) || wd == "" {
			if _, err := os.Stat(filepath.Join(d, WeightsFile)); err == nil {
				return d, nil
			}
			continue
		}
		for w := wd; ; w = filepath.Dir(w) {
			if _, err := os.Stat(filepath.Join(w, d, WeightsFile)); err == nil {
				return filepath.Join(w, d), nil
			}
			if filepath.Dir(w) == w {
				break
			}
		}
	}
	return "", fmt.Errorf("faceid: model not found in %v", DefaultModelDirs)
}

// LoadDir loads the model from a directory holding ManifestFile and WeightsFile; ""
// means FindModelDir("").
func LoadDir(dir string) (*Model, error) {
	dir, err := FindModelDir(dir)
	if err != nil {
		return nil, err
	}
	return Load(filepath.Join(dir, ManifestFile), filepath.Join(dir, WeightsFile))
}

// Distance is the Euclidean distance between two embeddings.
func Distance(a, b Embedding) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

// DefaultThreshold is the distance under which two faces are the same person. dlib's
// convention is 0.6; on the project's faces (cmd/faceid-eval, README "Face matching")
// 0.6 falsely matched 2.2 % of different-person pairs and 0.5 one in 13,024, while
// real same-person pairs stayed under 0.52, so livegate is stricter than dlib.
const DefaultThreshold = 0.5

// Similarity maps a distance to a score in [0, 1] that is 0.5 exactly at threshold:
// a logistic curve in the distance, s = 1 / (1 + exp((d - t) / w)) with w = t/6, so
// a distance a third of the threshold below it scores 0.88, and a third above 0.12.
// Scores are monotonic in the distance: comparing a score with 0.5 is comparing the
// distance with the threshold.
func Similarity(d, threshold float64) float64 {
	w := threshold / 6
	return 1 / (1 + math.Exp((d-threshold)/w))
}

// Verify compares a reference embedding with the embeddings of several live frames of
// one attempt (the best frontal ones): the live face is their mean, which averages out
// one frame's blur or expression as dlib's jittering does, and its distance to the
// reference decides. It returns the distance, the score (Similarity) and whether it is
// under threshold; with no frame or a reference of the wrong length it is no match.
func Verify(ref []float32, live []Embedding, threshold float64) (distance, confidence float64, identical bool) {
	if len(ref) != Dims || len(live) == 0 {
		return math.Inf(1), 0, false
	}
	var mean, r Embedding
	for _, e := range live {
		for i, v := range e {
			mean[i] += v / float32(len(live))
		}
	}
	copy(r[:], ref)
	d := Distance(r, mean)
	return d, Similarity(d, threshold), d < threshold
}

// Bytes is e as 128 little-endian float32: the form that is sealed and stored.
func (e *Embedding) Bytes() []byte {
	b := make([]byte, 0, 4*Dims)
	for _, v := range e {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// EmbeddingFromBytes reads what Bytes wrote.
func EmbeddingFromBytes(b []byte) (Embedding, error) {
	var e Embedding
	if len(b) != 4*Dims {
		return e, errors.New("faceid: an embedding is 512 bytes")
	}
	for i := range e {
		e[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return e, nil
}
