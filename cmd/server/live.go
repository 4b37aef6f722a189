package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// liveCapture is the live capture stack (WebRTC transport, gesture
// engines, session service) as the pages see it: web.Live and
// web.Signaller.
type liveCapture struct {
	api     *capture.API
	engines *perception.Async
	svc     *live.Service
}

var (
	_ web.Live      = (*liveCapture)(nil)
	_ web.Signaller = (*liveCapture)(nil)
)

// openLive loads the models and opens the UDP/TCP ports of the live
// capture.
func openLive(cfg *config, store session.Store, reg prometheus.Registerer, log *slog.Logger) (*liveCapture, error) {
	cores := runtime.GOMAXPROCS(0)
	opts := []capture.Option{
		capture.WithScheduler(capture.NewScheduler(cores, cfg.AnalysisFPS)),
		capture.WithLoopback(cfg.Loopback),
		capture.WithLogger(log),
		// A page that vanishes without closing (a killed tab, a lost
		// network) is noticed in about 9 s (3 s to disconnected, 6 s more
		// to failed; pion's defaults take 30 s), then its attempt waits
		// the grace for a reconnection: measured 14 s from kill -9 of
		// livegate-client to connection_lost.
		capture.WithICETimeouts(3*time.Second, 6*time.Second),
	}
	for _, s := range cfg.ICEServers {
		opts = append(opts, capture.WithICEServer(s.URLs, s.Username, s.Credential))
	}
	if cfg.UDPPort != 0 {
		opts = append(opts, capture.WithUDPPort(cfg.UDPPort))
	} else if cfg.UDPPortMin != 0 {
		opts = append(opts, capture.WithUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax))
	}
	if len(cfg.NAT1To1IPs) > 0 {
		opts = append(opts, capture.WithNAT1To1IPs(cfg.NAT1To1IPs...))
	}
	if cfg.ICETCPPort != 0 {
		opts = append(opts, capture.WithICETCPPort(cfg.ICETCPPort))
	}
	api, err := capture.NewAPI(capture.NewConfig(opts...))
	if err != nil {
		return nil, fmt.Errorf("live capture: %w", err)
	}
	// The models load in the background; the first offer waits for them,
	// and a model that fails to load is logged and fails every offer.
	// One YuNet detector per core: the Scheduler runs at most that many
	// analyses at once.
	engines := perception.LoadAsync(perception.Config{YuNet: cfg.YuNetModel, Landmarks: cfg.LandmarkModel, Detectors: cores})
	go func() {
		if err := engines.Wait(); err != nil {
			log.Error("live capture: loading the models failed; offers will fail", "err", err)
		}
	}()
	svc, err := live.New(live.Config{
		Store:           store,
		API:             api,
		Engines:         engineFactory(engines),
		MaxLive:         cfg.MaxLive,
		ConnectionLimit: cfg.ConnectionLimit,
		Logger:          log,
		Registerer:      reg,
	})
	if err != nil {
		engines.Close()
		api.Close()
		return nil, err
	}
	return &liveCapture{api: api, engines: engines, svc: svc}, nil
}

// engineFactory adapts perception's models to live.EngineFactory here, at
// the wiring site, so that perception (the producer of engines) need not
// import live (their consumer).
func engineFactory(a *perception.Async) live.EngineFactory {
	return live.EngineFactoryFunc(func() (live.Engine, error) {
		e, err := a.NewEngine()
		if err != nil {
			return nil, err // not a nil *gesture.Engine in a non-nil live.Engine
		}
		return e, nil
	})
}

// Shutdown closes every live connection (handing back attempts in
// progress) and then the ports and models.
func (l *liveCapture) Shutdown(ctx context.Context) error {
	err := l.svc.Shutdown(ctx)
	if err == nil {
		// Engines and ports are released only when every peer is gone.
		l.engines.Close()
		l.api.Close()
	}
	return err
}

func (l *liveCapture) ICEServers() []web.ICEServer {
	out := []web.ICEServer{} // the page's data-ice-servers is "[]", never "null"
	for _, s := range l.svc.ICEServers() {
		out = append(out, web.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}

func (l *liveCapture) Offer(ctx context.Context, r web.OfferRequest) (string, error) {
	return l.svc.Offer(ctx, live.OfferRequest{
		SID: r.SID, Browser: r.BrowserDigest, SDP: r.SDP, ClientIP: r.ClientIP, UserAgent: r.UserAgent,
	})
}

func (l *liveCapture) Hangup(ctx context.Context, sid, browserDigest string) error {
	return l.svc.Hangup(ctx, sid, browserDigest)
}
