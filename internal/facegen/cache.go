package facegen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// CachedClip names the files of a clip in a cache directory.
type CachedClip struct {
	Video string // YUV4MPEG2 file
	Truth string // its truth (JSON)
}

// DefaultCacheDir is where Cached keeps clips when given no directory:
// livegate-facegen under the user's cache directory.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("facegen: cache dir: %w", err)
	}
	return filepath.Join(d, "livegate-facegen"), nil
}

// Cached renders the clip p into dir once and returns its files; later calls
// with the same parameters, photo contents and generator version return the
// same files at once. dir "" means DefaultCacheDir. Concurrent callers (also
// in other processes) are safe: files appear atomically.
func (r *Renderer) Cached(dir string, p Params) (CachedClip, error) {
	p = p.Defaults()
	if dir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return CachedClip{}, err
		}
		dir = d
	}
	if r.CacheDir == "" {
		r.CacheDir = dir
	}
	key, err := cacheKey(p)
	if err != nil {
		return CachedClip{}, err
	}
	c := CachedClip{
		Video: filepath.Join(dir, "clip-"+key+".y4m"),
		Truth: filepath.Join(dir, "clip-"+key+".truth.json"),
	}
	if _, err := os.Stat(c.Truth); err == nil {
		if _, err := os.Stat(c.Video); err == nil {
			return c, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return CachedClip{}, fmt.Errorf("facegen: cache: %w", err)
	}
	vf, err := os.CreateTemp(dir, ".tmp-*.y4m")
	if err != nil {
		return CachedClip{}, fmt.Errorf("facegen: cache: %w", err)
	}
	defer os.Remove(vf.Name())
	tf, err := os.CreateTemp(dir, ".tmp-*.json")
	if err != nil {
		vf.Close()
		return CachedClip{}, fmt.Errorf("facegen: cache: %w", err)
	}
	defer os.Remove(tf.Name())
	err = r.WriteClip(p, vf, tf)
	if cerr := vf.Close(); err == nil {
		err = cerr
	}
	if cerr := tf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return CachedClip{}, err
	}
	// The video first: a truth file means the clip is complete.
	if err := os.Rename(vf.Name(), c.Video); err != nil {
		return CachedClip{}, fmt.Errorf("facegen: cache: %w", err)
	}
	if err := os.Rename(tf.Name(), c.Truth); err != nil {
		return CachedClip{}, fmt.Errorf("facegen: cache: %w", err)
	}
	return c, nil
}

// cacheKey hashes the generator version, the parameters and the contents of
// the photos (not their paths).
func cacheKey(p Params) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", Generator)
	for _, path := range []string{p.Face, p.SecondFace} {
		if path == "" {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("facegen: photo: %w", err)
		}
		s := sha256.Sum256(b)
		h.Write(s[:])
	}
	q := p
	q.Face, q.SecondFace = filepath.Base(p.Face), filepath.Base(p.SecondFace)
	b, _ := json.Marshal(q)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// ReadTruth reads a truth file.
func ReadTruth(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("facegen: truth: %w", err)
	}
	var t Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("facegen: truth %s: %w", path, err)
	}
	return &t, nil
}

// Cached renders p into dir (see Renderer.Cached), finding a photo's
// landmarks with lm only when they are not in dir yet. It is the entry
// point for tests that need footage: render once per script, reuse. Pass
// the engine's landmarking, loaded lazily:
//
//	facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.FootageConfig()))
func Cached(dir string, p Params, lm Landmarker) (CachedClip, error) {
	return NewRenderer(lm).Cached(dir, p)
}

// DefaultFaceName is the photo in testdata/faces used when none is given:
// the face of the committed contact sheet.
const DefaultFaceName = "mazie-hirono.jpg"

// TestFace returns the path of a photo in the repository's testdata/faces
// (DefaultFaceName when name is ""), found from the working directory.
func TestFace(name string) (string, error) {
	if name == "" {
		name = DefaultFaceName
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "testdata", "faces", name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("facegen: test face: %w", err)
	}
	return p, nil
}
