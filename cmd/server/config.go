package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// config is everything the server reads from its environment. Each field is
// documented, with its default, in the README's configuration table; the
// table and envVars below are kept in the same order.
type config struct {
	Addr            string
	PublicURL       string
	Keys            []api.Key
	DevKey          bool // no key configured: a random development key was made
	RedisURL        string
	RedisPrefix     string
	CookieKeys      [][]byte // derived from LIVEGATE_SESSION_SECRET
	EphemeralSecret bool
	LogLevel        slog.Level
	Demo            bool
	FrameAncestors  string
	Retention       time.Duration
	CreateRate      session.RateLimit
	ShutdownTimeout time.Duration
}

// envVar describes one setting for the README table and for errors.
type envVar struct {
	name, def, doc string
}

var envVars = []envVar{
	{"LIVEGATE_ADDR", ":8080", "listen address (host:port)"},
	{"LIVEGATE_PUBLIC_URL", "http://localhost:<port>", "public base URL of the server; session `url`s are `PUBLIC_URL/s/{sid}`; cookies are Secure unless its host is localhost"},
	{"LIVEGATE_API_KEYS", "(empty: a random development key is printed)", "comma-separated `key` or `key:username:password`; with a username, HTTP Basic must match too; keys are at least 16 characters"},
	{"REDIS_URL", "(empty: in-memory store)", "Redis URL, e.g. `redis://127.0.0.1:6379/0`; several instances share one Redis"},
	{"LIVEGATE_REDIS_PREFIX", "livegate:", "key prefix in Redis"},
	{"LIVEGATE_SESSION_SECRET", "(empty: random per process)", "secret for the end user's cookies, at least 32 characters; comma-separated to rotate (first signs, all verify); set it when running several instances"},
	{"LIVEGATE_LOG_LEVEL", "info", "debug, info, warn or error (JSON logs on stderr)"},
	{"LIVEGATE_DEMO", "true when no API key is configured, else false", "serve the try-it demo at `/demo`"},
	{"LIVEGATE_FRAME_ANCESTORS", "'none'", "CSP frame-ancestors of the end user's pages (origins allowed to embed them)"},
	{"LIVEGATE_RETENTION", "168h", "how long sessions and results are kept after they end or expire"},
	{"LIVEGATE_CREATE_RATE", "5", "sessions each API key may create per second (token bucket refill)"},
	{"LIVEGATE_CREATE_BURST", "50", "token bucket size for session creation per API key"},
	{"LIVEGATE_SHUTDOWN_TIMEOUT", "30s", "how long a SIGTERM waits for requests and live sessions to finish"},
}

// loadConfig reads the environment. Errors name the variable at fault.
func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	bad := func(name string, format string, args ...any) error {
		return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}

	c.Addr = get("LIVEGATE_ADDR", ":8080")
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, bad("LIVEGATE_ADDR", "want host:port, e.g. :8080 (%v)", err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return nil, bad("LIVEGATE_ADDR", "port %q is not a number from 0 to 65535", port)
	}
	_ = host

	// Without LIVEGATE_PUBLIC_URL, run derives http://localhost:PORT from the
	// port actually bound (which differs from the configured one for :0).
	c.PublicURL = strings.TrimRight(get("LIVEGATE_PUBLIC_URL", ""), "/")
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, bad("LIVEGATE_PUBLIC_URL", "want an absolute http(s) URL without query, e.g. https://liveness.example.com")
		}
	}

	if c.Keys, err = api.ParseKeys(getenv("LIVEGATE_API_KEYS")); err != nil {
		return nil, bad("LIVEGATE_API_KEYS", "%v", err)
	}
	if len(c.Keys) == 0 {
		c.Keys, c.DevKey = []api.Key{{Secret: "dev_" + randomHex(16)}}, true
	}

	c.RedisURL = get("REDIS_URL", "")
	if c.RedisURL != "" {
		if ru, err := url.Parse(c.RedisURL); err != nil || (ru.Scheme != "redis" && ru.Scheme != "rediss" && ru.Scheme != "unix") {
			return nil, bad("REDIS_URL", "want redis://[user:password@]host:port[/db], rediss://… or unix://…")
		}
	}
	c.RedisPrefix = get("LIVEGATE_REDIS_PREFIX", "livegate:")

	secrets := []string{randomHex(32)}
	if secret := getenv("LIVEGATE_SESSION_SECRET"); secret != "" {
		secrets = strings.Split(secret, ",")
		for i, s := range secrets {
			if len(s) < 32 {
				return nil, bad("LIVEGATE_SESSION_SECRET", "secret %d is shorter than 32 characters", i+1)
			}
		}
	} else {
		c.EphemeralSecret = true
	}
	if c.CookieKeys, err = web.DeriveCookieKeys(secrets...); err != nil {
		return nil, bad("LIVEGATE_SESSION_SECRET", "%v", err)
	}

	switch strings.ToLower(get("LIVEGATE_LOG_LEVEL", "info")) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return nil, bad("LIVEGATE_LOG_LEVEL", "want debug, info, warn or error")
	}

	c.Demo = c.DevKey
	if v := getenv("LIVEGATE_DEMO"); v != "" {
		if c.Demo, err = strconv.ParseBool(v); err != nil {
			return nil, bad("LIVEGATE_DEMO", "want true or false")
		}
	}

	c.FrameAncestors = get("LIVEGATE_FRAME_ANCESTORS", "'none'")
	if strings.ContainsAny(c.FrameAncestors, ";,\r\n") {
		return nil, bad("LIVEGATE_FRAME_ANCESTORS", "want space-separated CSP sources, e.g. 'self' https://app.example.com")
	}

	if c.Retention, err = duration(get("LIVEGATE_RETENTION", "168h"), time.Minute, 365*24*time.Hour); err != nil {
		return nil, bad("LIVEGATE_RETENTION", "%v", err)
	}
	if c.ShutdownTimeout, err = duration(get("LIVEGATE_SHUTDOWN_TIMEOUT", "30s"), 0, time.Hour); err != nil {
		return nil, bad("LIVEGATE_SHUTDOWN_TIMEOUT", "%v", err)
	}
	rate, err := strconv.ParseFloat(get("LIVEGATE_CREATE_RATE", "5"), 64)
	if err != nil || rate <= 0 || rate > 1e6 {
		return nil, bad("LIVEGATE_CREATE_RATE", "want a number of sessions per second above 0")
	}
	burst, err := strconv.Atoi(get("LIVEGATE_CREATE_BURST", "50"))
	if err != nil || burst < 1 || burst > 1e6 {
		return nil, bad("LIVEGATE_CREATE_BURST", "want a whole number from 1 to 1000000")
	}
	c.CreateRate = session.RateLimit{PerSecond: rate, Burst: burst}
	return c, nil
}

func duration(s string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 30s or 168h")
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("want a duration from %s to %s", lo, hi)
	}
	return d, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
