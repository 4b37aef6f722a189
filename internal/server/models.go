package server

import (
	"runtime"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/capture/engine"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/vision"
)

// This file is the one place that names the perception implementation:
// the live capture's engines and the still-image checker of
// POST /face/v1/active-liveness.

// engineFactory is the gesture engines as the live capture uses them:
// loaded in the background, waited for, closed once every peer is gone.
type engineFactory interface {
	live.EngineFactory
	// Wait blocks until the models are loaded and returns the load's error.
	Wait() error
	Close() error
}

// newEngineFactory starts loading the models the live capture's engines
// share.
func newEngineFactory(cfg *config) engineFactory {
	return engine.NewAsync(cfg.YuNetModel, cfg.LandmarkModel, runtime.GOMAXPROCS(0))
}

// newStillChecker returns the checker of single images, which loads its
// models on first use.
func newStillChecker(cfg *config) api.StillChecker {
	return gesture.NewLazyStillChecker(vision.StillModels(cfg.YuNetModel, cfg.LandmarkModel))
}
