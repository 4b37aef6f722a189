// Package server is livegate's wiring: it reads the configuration from the
// environment (see the README), builds the store, the live capture, the API,
// the pages and the demo, serves them behind the shared middleware, and
// shuts them down in order. cmd/server is a few lines around Run; the
// browser tests in internal/e2e start the same server through Run, so they
// test what ships.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/metrics"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/web"
	"github.com/livegate/livegate/internal/webhook"
)

// Options are what Run needs from its caller. Getenv is required; the
// rest are for tests, which must not reach into the server otherwise.
type Options struct {
	// Getenv reads the configuration (os.Getenv in production).
	Getenv func(string) string
	// Stdout gets the human greeting, Stderr the JSON logs; nil discards.
	Stdout, Stderr io.Writer
	// Ready, when not nil, is called once the server listens.
	Ready func(Started)
	// Now replaces time.Now for the store, the API, the pages and the live
	// capture, so that a test can let a session expire without waiting.
	Now func() time.Time
	// Live, when not nil, stands in for the live capture behind the pages:
	// no models are loaded and no WebRTC ports opened. For tests of the
	// pages' screens that never reach the server's media.
	Live web.Live
}

// Started describes a server that listens.
type Started struct {
	Addr      string // the bound address, host:port
	PublicURL string // the configured or derived public base URL
	// DrainLive ends every live capture connection (each page is told
	// "shutdown" and its attempt handed back) and refuses new offers with
	// 503, while the API and the pages keep serving: the first step of the
	// shutdown, which a test can take alone. Run's own shutdown still
	// takes it (again) when ctx is done.
	DrainLive func(context.Context) error
	// MetricsAddr is the bound internal address of /metrics and /readyz
	// when LIVEGATE_METRICS_ADDR is set, else "" (they are on Addr).
	MetricsAddr string
}

// Run starts the server and blocks until ctx is done, then shuts down
// gracefully: live connections first, then HTTP, then the store.
func Run(ctx context.Context, o Options) error {
	if o.Getenv == nil {
		return errors.New("server: Options.Getenv is required")
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	cfg, err := loadConfig(o.Getenv)
	if err != nil {
		return err
	}
	stopProfile, err := cpuProfile(cfg.CPUProfile, o.Stderr)
	if err != nil {
		return err
	}
	defer stopProfile()
	log := slog.New(httpx.LogHandler{Handler: slog.NewJSONHandler(o.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	store, lim, closeStore, err := openStore(ctx, cfg, o.Now)
	if err != nil {
		return err
	}
	defer closeStore()
	// The evidence images live in the store itself (never wrapped: they
	// are no transition), its memory counted when it is the memory store.
	cfg.images, _ = store.(session.ImageStore)
	if ms, ok := store.(*memstore.Store); ok {
		registerImageMetrics(reg, ms)
	}
	// Webhooks: every session that ends is announced by the wrapper, which
	// queues its job (see internal/webhook).
	queue, closeQueue, err := openWebhookQueue(cfg)
	if err != nil {
		return err
	}
	defer closeQueue()
	istore := webhook.Notify(metrics.InstrumentStore(store, reg), queue, o.Now, log)
	// The live capture's failed attempts count towards the lockouts.
	var liveStore session.Store = istore
	if lim.attempts != nil {
		liveStore = &failureCounter{Store: istore, lockout: lim.attempts, log: log}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("LIVEGATE_ADDR: listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}

	// One face embedder (its models load on first use) serves POST
	// /face/v1/match, sessions' verify_image and their verify_result.
	faces := newFaceEmbedder(cfg)
	var lc web.Live = o.Live
	drain := func(context.Context) error { return nil }
	if lc == nil {
		real, err := openLive(cfg, newEngineFactory(cfg), faces, liveStore, reg, log, o.Now)
		if err != nil {
			return err
		}
		// Whatever happens below, the live capture (its ports, its models
		// and the goroutine that waits for them) is shut down before Run
		// returns; on the normal path this is the second, immediate call.
		defer func() {
			if err := real.Shutdown(context.WithoutCancel(ctx)); err != nil {
				log.Warn("live capture did not stop", "err", err)
			}
		}()
		lc, drain = real, real.Shutdown
	}

	handler, err := newHandler(cfg, istore, lim, reg, log, lc, faces, o.Now)
	if err != nil {
		return err
	}
	stopWebhooks, err := startWebhooks(ctx, cfg, queue, istore, reg, log, o.Now)
	if err != nil {
		return err
	}
	// Deferred after the store's close, so it runs first: an attempt in
	// flight ends (its lease hands it to another instance) before the
	// store goes.
	defer stopWebhooks()
	internal, err := listenInternal(cfg, istore, reg, log)
	if err != nil {
		return err
	}
	if internal != nil {
		defer internal.close()
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	greet(o.Stdout, cfg, ln.Addr().String())
	log.Info("listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL,
		"store", storeName(cfg), "demo", cfg.Demo)
	if cfg.DemoForced {
		log.Warn("DEMO ENABLED BESIDE REAL API KEYS (LIVEGATE_DEMO_FORCE=true): anyone who reaches /demo can create sessions and see their results; " +
			"they belong to the demo's own tenant and creation budget, never to a configured key; turn LIVEGATE_DEMO off in production")
	}
	if cfg.EphemeralSecret {
		log.Warn("LIVEGATE_SESSION_SECRET is not set: using a random one; end users' cookies will not survive a restart or work across instances")
	}
	switch {
	case cfg.DataKeys == nil:
		log.Warn("LIVEGATE_DATA_KEYS is not set: this server keeps no biometric data, and sessions with a verify_image are refused (503)")
	case cfg.EphemeralDataKey:
		log.Warn("LIVEGATE_DATA_KEYS is not set: biometric data is sealed under a random development key (LIVEGATE_DEV_DATA_KEY) that, like the in-memory store, lives as long as the process; set LIVEGATE_DATA_KEYS in production")
	default:
		log.Info("biometric data sealed", "data_key", cfg.DataKeys.SealingKey())
	}
	for _, k := range cfg.Keys {
		log.Info("api key", "key", k.ID(), "biometric_retention", k.BiometricRetention.String())
	}
	started := Started{Addr: ln.Addr().String(), PublicURL: cfg.PublicURL, DrainLive: drain}
	if internal != nil {
		started.MetricsAddr = internal.addr
		log.Info("serving /metrics and /readyz", "addr", internal.addr)
	}
	if o.Ready != nil {
		o.Ready(started)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	// Live connections first: their pages are told "shutdown" and their
	// attempts handed back while the store is still open.
	if err := drain(sctx); err != nil {
		log.Warn("live capture did not stop in time", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// Healthcheck asks the local server's /healthz, for container
// HEALTHCHECKs (the runtime image has no curl).
func Healthcheck(ctx context.Context, getenv func(string) string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(cfg.Addr)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %d", resp.StatusCode)
	}
	return nil
}

func storeName(cfg *config) string {
	if cfg.RedisURL != "" {
		return "redis"
	}
	return "memory"
}

// registerImageMetrics exposes the memory store's evidence images: the
// bytes held under LIVEGATE_EVIDENCE_MEMORY_MB and the images its cap
// evicted.
func registerImageMetrics(reg prometheus.Registerer, ms *memstore.Store) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livegate_evidence_image_bytes",
			Help: "Bytes of sealed evidence images the in-memory store holds."},
			func() float64 { return float64(ms.ImageBytes()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "livegate_evidence_images_evicted_total",
			Help: "Evidence images the in-memory store dropped, oldest first, to stay under LIVEGATE_EVIDENCE_MEMORY_MB."},
			func() float64 { return float64(ms.ImagesEvicted()) }),
	)
}

// openStore builds the session store and the rate limits and lockouts: Redis
// when REDIS_URL is set (shared by every instance), else memory.
func openStore(ctx context.Context, cfg *config, now func() time.Time) (session.Store, *limits, func(), error) {
	if cfg.RedisURL == "" {
		opts := []memstore.Option{memstore.WithRetention(cfg.Retention), memstore.WithImageCap(cfg.EvidenceMemory)}
		if now != nil {
			opts = append(opts, memstore.WithClock(now))
		}
		st := memstore.New(opts...)
		return st, memoryLimits(cfg, now), func() { _ = st.Close() }, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		_ = client.Close()
		return nil, nil, nil, fmt.Errorf("REDIS_URL: cannot reach Redis at %s: %v", opts.Addr, err)
	}
	stOpts := []redisstore.Option{redisstore.WithPrefix(cfg.RedisPrefix), redisstore.WithRetention(cfg.Retention)}
	if now != nil {
		stOpts = append(stOpts, redisstore.WithClock(now))
	}
	st := redisstore.New(client, stOpts...)
	return st, redisLimits(client, cfg, now), func() { _ = st.Close(); _ = client.Close() }, nil
}

// newHandler wires every surface onto one mux behind the shared middleware.
// now is nil for time.Now.
func newHandler(cfg *config, store session.Store, lim *limits, reg *prometheus.Registry, log *slog.Logger, lc web.Live, faces *lazyFaces, now func() time.Time) (http.Handler, error) {
	h, _, err := buildHandler(cfg, store, lim, reg, log, lc, faces, now)
	return h, err
}

// buildHandler is newHandler that also returns every pattern the handler
// serves (see router).
func buildHandler(cfg *config, store session.Store, lim *limits, reg *prometheus.Registry, log *slog.Logger, lc web.Live, faces *lazyFaces, now func() time.Time) (http.Handler, []string, error) {
	apiHandler, err := api.New(api.Config{
		Store:          store,
		Limiter:        lim.create,
		Limits:         lim.api(cfg),
		Keys:           cfg.Keys,
		PublicURL:      cfg.PublicURL,
		Now:            now,
		Logger:         log,
		Still:          newStillChecker(cfg),
		Passive:        newPassiveChecker(cfg),
		SpoofBands:     cfg.SpoofBands,
		Liveness:       liveness.Config{PassMark: cfg.PassMark},
		Faces:          faces,
		References:     faces,
		DataKeys:       cfg.DataKeys,
		Images:         cfg.images,
		URLSigner:      cfg.URLSigner,
		ImageURLTTL:    cfg.EvidenceURLTTL,
		MatchThreshold: cfg.MatchThreshold,
		Webhooks:       webhookChecker(cfg),
		Reports:        cfg.URLSigner,
		ReportPath:     web.ReportPath,
		ReportTTL:      cfg.ReportTTL,
		Retention:      cfg.Retention,
	})
	if err != nil {
		return nil, nil, err
	}
	mux := newRouter()
	mux.mount(apiHandler, "/face/", "/evidence/")
	mux.HandleFunc("GET /openapi.json", serveOpenAPI)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	if cfg.MetricsAddr == "" {
		mountInternal(mux, store, reg, log)
	}
	if err := mountPages(mux, cfg, store, apiHandler, log, lc, lim.web(), now); err != nil {
		return nil, nil, err
	}
	var h http.Handler = mux.mux
	if strings.HasPrefix(cfg.PublicURL, "https://") {
		h = hsts(h)
	}
	return httpx.Middleware(h, log, httpx.NewMetrics(reg), api.WritePanic), mux.routes, nil
}

// hsts tells browsers to reach the service over https only, for a year,
// when its public URL is https (TLS may end at a proxy in front: what
// counts is the URL the browser uses). Subdomains are not included: they
// may be other services.
func hsts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}

// mountInternal adds the operator's endpoints: readiness (the store
// answers) and the Prometheus metrics.
func mountInternal(mux interface {
	HandleFunc(string, func(http.ResponseWriter, *http.Request))
	Handle(string, http.Handler)
}, store session.Store, reg *prometheus.Registry, log *slog.Logger) {
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := store.Ping(ctx); err != nil {
			log.WarnContext(r.Context(), "not ready", "err", err)
			if !httpx.SetRetryAfter(w, err) {
				w.Header().Set("Retry-After", "5")
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "store unavailable\n")
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}

// internalServer serves mountInternal's endpoints on LIVEGATE_METRICS_ADDR,
// an address the operator keeps off the public network.
type internalServer struct {
	addr  string
	close func()
}

// listenInternal binds LIVEGATE_METRICS_ADDR and serves on it until close;
// it returns nil when the option is not set.
func listenInternal(cfg *config, store session.Store, reg *prometheus.Registry, log *slog.Logger) (*internalServer, error) {
	if cfg.MetricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("LIVEGATE_METRICS_ADDR: listen on %s: %w", cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mountInternal(mux, store, reg, log)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("internal endpoints stopped", "err", err)
		}
	}()
	return &internalServer{addr: ln.Addr().String(), close: func() { _ = srv.Close(); <-done }}, nil
}

func greet(w io.Writer, cfg *config, addr string) {
	fmt.Fprintf(w, "livegate listening on %s (public URL %s, %s store)\n", addr, cfg.PublicURL, storeName(cfg))
	if cfg.DevKey {
		fmt.Fprintf(w, "development API key: %s\n", cfg.Keys[0].Secret)
	}
	if cfg.Demo {
		fmt.Fprintf(w, "try it: %s/demo\n", cfg.PublicURL)
	}
}
