package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/turncred"
	"github.com/livegate/livegate/internal/web"
)

// liveCapture is the live capture stack (WebRTC transport, gesture
// engines, session service) as the pages see it: web.Live and
// web.Signaller.
type liveCapture struct {
	api     *capture.API
	engines engineFactory
	svc     *live.Service
	spoof   io.Closer // the anti-spoofing model
	// loaded is closed when the goroutine that waits for the models (to
	// log a failed load) has returned; Shutdown waits for it.
	loaded  chan struct{}
	release sync.Once
}

var (
	_ web.Live      = (*liveCapture)(nil)
	_ web.Signaller = (*liveCapture)(nil)
)

// openLive opens the UDP/TCP ports of the live capture over engines, whose
// models may still be loading. now is nil for time.Now.
func openLive(cfg *config, engines engineFactory, faces live.FaceEmbedder, store session.Store, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (*liveCapture, error) {
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
	if cfg.TURNSecret != "" {
		iss, err := turncred.New(cfg.TURNSecret, cfg.TURNTTL, now)
		if err != nil {
			_ = closeWhenLoaded(engines)
			return nil, fmt.Errorf("live capture: TURN: %w", err)
		}
		opts = append(opts, capture.WithTURNSecret(cfg.TURNURLs, iss))
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
	spoof, err := newLiveAntiSpoof()
	if err != nil {
		_ = closeWhenLoaded(engines)
		return nil, fmt.Errorf("live capture: anti-spoofing model: %w", err)
	}
	api, err := capture.NewAPI(capture.NewConfig(opts...))
	if err != nil {
		_ = closeWhenLoaded(engines)
		spoof.Close()
		return nil, fmt.Errorf("live capture: %w", err)
	}
	svc, err := live.New(live.Config{
		Store:           store,
		API:             api,
		Engines:         engines,
		AntiSpoof:       live.AntiSpoofFunc(spoof.ScoreVideo), // decoded VP8: studio range
		Faces:           faces,
		MatchThreshold:  cfg.MatchThreshold,
		DataKeys:        cfg.DataKeys,
		Images:          cfg.images,
		EncodeJPEG:      perception.EncodeJPEG,
		Liveness:        liveness.Config{PassMark: cfg.PassMark, VirtualCameras: cfg.VirtualCameras},
		MaxLive:         cfg.MaxLive,
		MaxLivePerKey:   cfg.MaxLivePerKey,
		ConnectionLimit: cfg.ConnectionLimit,
		Now:             now,
		Logger:          log,
		Registerer:      reg,
	})
	if err != nil {
		_ = closeWhenLoaded(engines)
		api.Close()
		spoof.Close()
		return nil, err
	}
	// The models load in the background; the first offer waits for them,
	// and a model that fails to load is logged here and fails every offer.
	l := &liveCapture{api: api, engines: engines, svc: svc, spoof: spoof, loaded: make(chan struct{})}
	go func() {
		defer close(l.loaded)
		if err := engines.Wait(); err != nil {
			log.Error("live capture: loading the models failed; offers will fail", "err", err)
		}
	}()
	return l, nil
}

// closeWhenLoaded closes engines after their load has ended, so that no
// load outlives the caller.
func closeWhenLoaded(engines engineFactory) error {
	_ = engines.Wait()
	return engines.Close()
}

// Shutdown closes every live connection (handing back attempts in
// progress), waits for the models' load to end, and then releases the
// ports and the models. It may be called again; later calls return at
// once when nothing is left to stop.
func (l *liveCapture) Shutdown(ctx context.Context) error {
	if err := l.svc.Shutdown(ctx); err != nil {
		return err
	}
	select {
	case <-l.loaded:
	case <-ctx.Done():
		return fmt.Errorf("live capture: waiting for the models to load: %w", ctx.Err())
	}
	// Engines and ports are released only when every peer is gone and the
	// load has ended, so that Close frees the detectors itself rather than
	// leaving that to a goroutine of the engine's.
	l.release.Do(func() {
		l.engines.Close()
		l.api.Close()
		l.spoof.Close()
	})
	return nil
}

func (l *liveCapture) ICEServers(sid string) []web.ICEServer {
	out := []web.ICEServer{} // the page's data-ice-servers is "[]", never "null"
	for _, s := range l.svc.ICEServers(sid) {
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
