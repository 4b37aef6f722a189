package perception

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// ErrModelsClosed is returned by NewEngine after Close.
var ErrModelsClosed = errors.New("perception: models closed")

// Models are the engine's models, loaded once per process: the landmark
// model, immutable and shared by every engine, and a pool of YuNet
// detectors, which hold OpenCV state. An engine borrows a detector for each
// detection, so the pool's size bounds the detections that run at once and
// no engine owns a Mat: nothing OpenCV outlives a session, and Close frees
// every Mat.
type Models struct {
	landmarks *landmarks.Model
	pool      chan *Detector
	all       []*Detector

	mu     sync.Mutex
	closed bool
}

// Load reads the models of cfg (see Config for the defaults) and opens
// cfg.Detectors YuNet detectors.
func Load(cfg Config) (*Models, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	lm, err := loadLandmarks(cfg.Landmarks)
	if err != nil {
		return nil, err
	}
	m := &Models{landmarks: lm, pool: make(chan *Detector, cfg.Detectors)}
	for range cfg.Detectors {
		d, err := NewDetector(cfg.YuNet)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.all = append(m.all, d)
		m.pool <- d
	}
	return m, nil
}

// loadLandmarks reads a 68-point landmark model, once per file per
// process (see landmarkFiles).
func loadLandmarks(path string) (*landmarks.Model, error) {
	lm, err := landmarkFiles.load(path)
	if err != nil {
		return nil, fmt.Errorf("perception: landmark model: %w", err)
	}
	if n := lm.NumLandmarks(); n != gesture.NumLandmarks {
		return nil, fmt.Errorf("perception: landmark model %s has %d points; want %d", path, n, gesture.NumLandmarks)
	}
	return lm, nil
}

// landmarkFiles holds every landmark model this process has read. A parsed
// model is immutable (engines share it) but large (≈ 75 MB) and slow to
// read (seconds; far longer under the race detector), and the server reads
// the same file for its engines, its still checker and its face embedder,
// and a test process starts many servers: they now share one copy. It is
// the one piece of process-wide state here, a cache of a file's contents
// that changes nothing a caller sees.
var landmarkFiles = landmarkCache{read: landmarks.Load}

// landmarkCache maps a model file to its parsed model. An entry is reused
// only while the file keeps its size and modification time, so a file
// replaced in place is read again; a failed read is not kept.
type landmarkCache struct {
	read   func(path string) (*landmarks.Model, error)
	mu     sync.Mutex // held while reading, so two callers never read one file twice
	byPath map[string]cachedLandmarks
}

type cachedLandmarks struct {
	size  int64
	mtime time.Time
	model *landmarks.Model
}

func (c *landmarkCache) load(path string) (*landmarks.Model, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return c.read(path) // its error names the file and the cause
	}
	key, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byPath[key]; ok && e.size == fi.Size() && e.mtime.Equal(fi.ModTime()) {
		return e.model, nil
	}
	m, err := c.read(path)
	if err != nil {
		return nil, err
	}
	if c.byPath == nil {
		c.byPath = make(map[string]cachedLandmarks)
	}
	c.byPath[key] = cachedLandmarks{size: fi.Size(), mtime: fi.ModTime(), model: m}
	return m, nil
}

// NewEngine returns a fresh engine; it shares the models and keeps only its
// own tracking state and scratch memory.
func (m *Models) NewEngine(opts ...gesture.EngineOption) (*gesture.Engine, error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, ErrModelsClosed
	}
	pred, err := gesture.NewModelPredictor(m.landmarks)
	if err != nil {
		return nil, err
	}
	return gesture.NewEngine(pooled{m.pool}, pred, opts...), nil
}

// Close frees the detectors. Engines must not be used afterwards. It is
// safe to call more than once.
func (m *Models) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	for _, d := range m.all {
		errs = append(errs, d.Close())
	}
	return errors.Join(errs...)
}

// pooled is an engine's FaceDetector: it borrows a detector from the pool
// for each detection.
type pooled struct{ pool chan *Detector }

func (p pooled) DetectFaces(img *image.Gray, dst []gesture.Face) ([]gesture.Face, error) {
	d := <-p.pool
	defer func() { p.pool <- d }()
	return d.DetectFaces(img, dst)
}

// Async is Models loaded in the background, so that a server starts
// serving at once (the landmark model takes a fraction of a second to
// read, many seconds under the race detector). NewEngine waits for the
// load; a failed load fails every NewEngine.
type Async struct {
	done chan struct{}
	m    *Models
	err  error
}

// LoadAsync starts loading the models as Load does.
func LoadAsync(cfg Config) *Async {
	return loadAsync(func() (*Models, error) { return Load(cfg) })
}

func loadAsync(load func() (*Models, error)) *Async {
	a := &Async{done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.m, a.err = load()
	}()
	return a
}

// Wait blocks until the models are loaded and returns the load's error.
func (a *Async) Wait() error {
	<-a.done
	return a.err
}

// NewEngine waits for the models, then makes an engine.
func (a *Async) NewEngine(opts ...gesture.EngineOption) (*gesture.Engine, error) {
	if err := a.Wait(); err != nil {
		return nil, err
	}
	return a.m.NewEngine(opts...)
}

// Close waits for the load to end, then frees the detectors, so that no
// goroutine of the load outlives it. A failed load has nothing to free.
func (a *Async) Close() error {
	if a.Wait() != nil {
		return nil
	}
	return a.m.Close()
}
