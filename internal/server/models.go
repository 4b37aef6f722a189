package server

import (
	"context"
	"image"
	"runtime"
	"sync"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
)

// This file is the one place that names the perception implementation:
// the live capture's engines, the still-image checker of
// POST /face/v1/active-liveness, the anti-spoofing checker of
// POST /face/v1/passive-liveness and the face embedder of POST /face/v1/match.

// engineFactory is the gesture engines as the live capture uses them:
// loaded in the background, waited for, closed once every peer is gone.
type engineFactory interface {
	live.EngineFactory
	// Wait blocks until the models are loaded and returns the load's error.
	Wait() error
	Close() error
}

// newEngineFactory starts loading the models the live capture's engines
// share: one YuNet detector per core, since the capture Scheduler runs at
// most that many analyses at once.
func newEngineFactory(cfg *config) engineFactory {
	return asyncEngines{perception.LoadAsync(perception.Config{
		YuNet: cfg.YuNetModel, Landmarks: cfg.LandmarkModel, Detectors: runtime.GOMAXPROCS(0),
	})}
}

// asyncEngines adapts perception's models to live.EngineFactory here, at
// the wiring site, so that perception (the producer of engines) need not
// import live (their consumer).
type asyncEngines struct{ *perception.Async }

func (a asyncEngines) NewEngine() (live.Engine, error) {
	e, err := a.Async.NewEngine()
	if err != nil {
		return nil, err // not a nil *gesture.Engine in a non-nil live.Engine
	}
	return e, nil
}

// newStillChecker returns the checker of single images, which loads its
// models on first use.
func newStillChecker(cfg *config) api.StillChecker {
	return gesture.NewLazyStillChecker(perception.StillModels(perception.Config{YuNet: cfg.YuNetModel, Landmarks: cfg.LandmarkModel}))
}

// newPassiveChecker returns the checker of POST /face/v1/passive-liveness
// (YuNet, then MiniFASNet on the one face), which loads its models on first
// use and, like the still checker's, keeps them for the process's life.
// The MiniFASNet models are the repository's (perception.FindMiniFASNet).
func newPassiveChecker(cfg *config) api.PassiveChecker {
	return perception.NewPassive(perception.PassiveConfig{YuNet: cfg.YuNetModel})
}

// newLiveAntiSpoof loads the anti-spoofing model of the live sessions
// (MiniFASNet, the repository's copies found by perception.FindMiniFASNet)
// at start-up. A server that cannot load it does not start: sessions
// judged without the model would pass what it is there to catch.
func newLiveAntiSpoof() (*perception.AntiSpoof, error) {
	v2, v1se, err := perception.FindMiniFASNet("", "")
	if err != nil {
		return nil, err
	}
	return perception.NewAntiSpoof(v2, v1se)
}

// lazyFaces is the face embedder of POST /face/v1/match: its models (the
// detector, dlib's 100 MB landmark model and the face-recognition network)
// load on the first match, so a server that never matches never pays for
// them. A failed load is kept and answered to every later call.
type lazyFaces struct {
	cfg  *config
	once sync.Once
	e    *perception.FaceEmbedder
	err  error
}

func newFaceEmbedder(cfg *config) *lazyFaces { return &lazyFaces{cfg: cfg} }

func (l *lazyFaces) EmbedFace(ctx context.Context, img image.Image) (int, faceid.Embedding, error) {
	if err := l.load(); err != nil {
		return 0, faceid.Embedding{}, err
	}
	return l.e.EmbedFace(ctx, img)
}

// CheckReference makes lazyFaces the checker of sessions' verify_image too.
func (l *lazyFaces) CheckReference(ctx context.Context, img image.Image) (faceid.Reference, error) {
	if err := l.load(); err != nil {
		return faceid.Reference{}, err
	}
	return l.e.CheckReference(ctx, img)
}

func (l *lazyFaces) load() error {
	l.once.Do(func() {
		m, err := faceid.LoadDir(l.cfg.FaceModelDir)
		if err != nil {
			l.err = err
			return
		}
		l.e, l.err = perception.NewFaceEmbedder(perception.Config{YuNet: l.cfg.YuNetModel, Landmarks: l.cfg.LandmarkModel}, m)
	})
	return l.err
}
