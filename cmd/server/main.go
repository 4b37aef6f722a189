// Command server runs livegate: the REST API, the end user's pages, the demo,
// health checks and metrics, configured by environment variables (see the
// README). main is a few lines around run, which tests call directly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/metrics"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) == 2 && os.Args[1] == "-healthcheck" {
		// For container HEALTHCHECKs: the runtime image has no curl.
		if err := healthcheck(ctx, os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, "livegate: unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "livegate: takes no arguments (configuration is by environment; see the README), or -healthcheck")
		os.Exit(2)
	}
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "livegate:", err)
		os.Exit(1)
	}
}

// run starts the server and blocks until ctx is done, then shuts down
// gracefully. stdout gets the human greeting; logs (JSON) go to stderr. When
// ready is not nil it receives the bound address once the server listens.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(httpx.LogHandler{Handler: slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	store, limiter, closeStore, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	istore := metrics.InstrumentStore(store, reg)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("LIVEGATE_ADDR: listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}

	lc, err := openLive(cfg, istore, reg, log)
	if err != nil {
		return err
	}
	liveOpen := true
	defer func() {
		if liveOpen {
			_ = lc.Shutdown(context.WithoutCancel(ctx))
		}
	}()

	handler, err := newHandler(cfg, istore, limiter, reg, log, lc)
	if err != nil {
		return err
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
	greet(stdout, cfg, ln.Addr().String())
	log.Info("listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL,
		"store", storeName(cfg), "demo", cfg.Demo)
	if cfg.EphemeralSecret {
		log.Warn("LIVEGATE_SESSION_SECRET is not set: using a random one; end users' cookies will not survive a restart or work across instances")
	}
	if ready != nil {
		ready <- ln.Addr().String()
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
	liveOpen = false
	if err := lc.Shutdown(sctx); err != nil {
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

// healthcheck asks the local server's /healthz.
func healthcheck(ctx context.Context, getenv func(string) string) error {
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

// openStore builds the session store and the creation rate limiter: Redis
// when REDIS_URL is set (shared by every instance), else memory.
func openStore(ctx context.Context, cfg *config) (session.Store, session.RateLimiter, func(), error) {
	if cfg.RedisURL == "" {
		st := memstore.New(memstore.WithRetention(cfg.Retention))
		return st, memstore.NewRateLimiter(cfg.CreateRate), func() { _ = st.Close() }, nil
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
	st := redisstore.New(client, redisstore.WithPrefix(cfg.RedisPrefix), redisstore.WithRetention(cfg.Retention))
	lim := redisstore.NewRateLimiter(client, cfg.CreateRate, redisstore.WithPrefix(cfg.RedisPrefix))
	return st, lim, func() { _ = st.Close(); _ = client.Close() }, nil
}

// newHandler wires every surface onto one mux behind the shared middleware.
func newHandler(cfg *config, store session.Store, limiter session.RateLimiter, reg *prometheus.Registry, log *slog.Logger, lc web.Live) (http.Handler, error) {
	apiHandler, err := api.New(api.Config{
		Store:     store,
		Limiter:   limiter,
		Keys:      cfg.Keys,
		PublicURL: cfg.PublicURL,
		Logger:    log,
		Still:     gesture.NewLazyStillChecker(perception.StillModels(perception.Config{YuNet: cfg.YuNetModel, Landmarks: cfg.LandmarkModel})),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/face/", apiHandler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := store.Ping(ctx); err != nil {
			log.WarnContext(r.Context(), "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "store unavailable\n")
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if err := mountPages(mux, cfg, store, apiHandler, log, lc); err != nil {
		return nil, err
	}
	return httpx.Middleware(mux, log, httpx.NewMetrics(reg), api.WritePanic), nil
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
