// Package engine builds the real per-connection gesture engines of the
// live capture: YuNet face detection (gesture/vision, OpenCV) and the
// pure-Go 68-point landmark model (gesture/landmarks).
//
// The models are loaded once per process: the landmark model is immutable
// and shared by every engine; YuNet detectors hold OpenCV state, so the
// Factory keeps a pool of them, one per analysis that may run at once (the
// capture Scheduler's MaxConcurrent), and an engine borrows one for each
// detection. No engine owns a Mat, so nothing OpenCV outlives a session;
// the pool's Mats are freed by Factory.Close.
package perception

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"

	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
)

// DefaultYuNetPaths are tried in order when no YuNet path is given: the
// repository's models directory (relative to the working directory) and
// where the Docker image puts it.
var DefaultYuNetPaths = []string{
	"models/yunet/face_detection_yunet_2022mar.onnx",
	"/usr/share/livegate/models/yunet/face_detection_yunet_2022mar.onnx",
}

// Factory makes gesture engines that share one landmark model and a pool
// of YuNet detectors. It implements live.EngineFactory.
type Factory struct {
	model *landmarks.Model
	pool  chan *vision.Detector
	all   []*vision.Detector
	opts  []gesture.EngineOption

	mu     sync.Mutex
	closed bool
}

var _ live.EngineFactory = (*Factory)(nil)

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
	return "", fmt.Errorf("engine: YuNet model not found in %v", DefaultYuNetPaths)
}

// New loads the models: the YuNet ONNX file at yunetPath (the 2022mar
// release) into detectors detectors, and the dlib 68-point model at
// landmarkPath.
func New(yunetPath, landmarkPath string, detectors int, opts ...gesture.EngineOption) (*Factory, error) {
	if detectors < 1 {
		detectors = 1
	}
	model, err := landmarks.Load(landmarkPath)
	if err != nil {
		return nil, fmt.Errorf("engine: landmark model: %w", err)
	}
	if n := model.NumLandmarks(); n != gesture.NumLandmarks {
		return nil, fmt.Errorf("engine: landmark model %s has %d points; want %d", landmarkPath, n, gesture.NumLandmarks)
	}
	f := &Factory{model: model, pool: make(chan *vision.Detector, detectors), opts: opts}
	for range detectors {
		d, err := vision.NewDetector(yunetPath)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("engine: %w", err)
		}
		f.all = append(f.all, d)
		f.pool <- d
	}
	return f, nil
}

// NewEngine returns a fresh engine; it shares the models and keeps only
// its own tracking state and scratch memory.
func (f *Factory) NewEngine() (live.Engine, error) {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return nil, errors.New("engine: factory closed")
	}
	pred, err := gesture.NewModelPredictor(f.model)
	if err != nil {
		return nil, err
	}
	return gesture.NewEngine(&pooled{f: f}, pred, f.opts...), nil
}

// Async is a Factory loaded in the background, so that a server starts
// serving at once (the landmark model takes a fraction of a second to
// read, many seconds under the race detector). NewEngine waits for the
// load; a failed load fails every NewEngine.
type Async struct {
	done chan struct{}
	f    *Factory
	err  error
}

var _ live.EngineFactory = (*Async)(nil)

// NewAsync starts loading the models as New does.
func NewAsync(yunetPath, landmarkPath string, detectors int, opts ...gesture.EngineOption) *Async {
	a := &Async{done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.f, a.err = New(yunetPath, landmarkPath, detectors, opts...)
	}()
	return a
}

// Wait blocks until the models are loaded and returns the load's error.
func (a *Async) Wait() error {
	<-a.done
	return a.err
}

// NewEngine waits for the models, then makes an engine.
func (a *Async) NewEngine() (live.Engine, error) {
	if err := a.Wait(); err != nil {
		return nil, err
	}
	return a.f.NewEngine()
}

// Close frees the detectors; when the load is still running it returns at
// once and the detectors are freed as soon as the load ends.
func (a *Async) Close() error {
	select {
	case <-a.done:
		if a.err != nil {
			return nil
		}
		return a.f.Close()
	default:
		go func() {
			if a.Wait() == nil {
				a.f.Close()
			}
		}()
		return nil
	}
}

// Close frees the detectors. Engines must not be used afterwards.
func (f *Factory) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	var errs []error
	for _, d := range f.all {
		errs = append(errs, d.Close())
	}
	return errors.Join(errs...)
}

// pooled is one engine's FaceDetector: it borrows a detector from the pool
// for each detection and keeps its own result buffer.
type pooled struct {
	f   *Factory
	buf []vision.Face
}

func (p *pooled) DetectFaces(img *image.Gray, dst []gesture.Face) ([]gesture.Face, error) {
	d := <-p.f.pool
	var err error
	p.buf, err = d.DetectFaces(img, p.buf[:0])
	p.f.pool <- d
	dst = dst[:0]
	for _, v := range p.buf {
		dst = append(dst, gesture.Face(v))
	}
	return dst, err
}
