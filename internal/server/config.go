package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/signedurl"
	"github.com/livegate/livegate/internal/web"
	"github.com/livegate/livegate/internal/webhook"
)

// config is everything the server reads from its environment. Each
// variable is documented, with its default, in the README's configuration
// table, which TestREADMEConfigTable checks against what loadConfig reads.
type config struct {
	Addr            string
	MetricsAddr     string // "": /metrics and /readyz on Addr
	PublicURL       string
	Keys            []api.Key
	DevKey          bool // no key configured: a random development key was made
	RedisURL        string
	RedisPrefix     string
	CookieKeys      [][]byte // derived from LIVEGATE_SESSION_SECRET
	EphemeralSecret bool
	// URLSigner signs the expiring links a browser opens without an API key
	// (evidence images, reports); its keys come from LIVEGATE_SESSION_SECRET
	// too, so every instance that shares the secret verifies them.
	URLSigner *signedurl.Signer
	// DataKeys seal the biometric values sessions keep (LIVEGATE_DATA_KEYS);
	// nil keeps none. EphemeralDataKey: none was configured and the
	// in-memory store got a random key that dies with the process, as its
	// values do.
	DataKeys         *sealed.Keyring
	EphemeralDataKey bool
	// EvidenceMemory caps the evidence images the in-memory store holds
	// (LIVEGATE_EVIDENCE_MEMORY_MB); EvidenceURLTTL is how long an image
	// link lasts (LIVEGATE_EVIDENCE_URL_TTL).
	EvidenceMemory int64
	EvidenceURLTTL time.Duration
	// images is the store's session.ImageStore (set by Run, not from the
	// environment); nil keeps no evidence images.
	images   session.ImageStore
	LogLevel slog.Level
	// CPUProfile is a file Run writes a Go CPU profile to, from start to
	// shutdown (LIVEGATE_CPU_PROFILE, a debugging aid; "": none).
	CPUProfile string
	Demo       bool
	// DemoForced: the demo runs beside real API keys (LIVEGATE_DEMO_FORCE).
	DemoForced bool
	// DemoKey is the demo's own API key, one of Keys: the development key
	// when no key is configured, else a key of its own (its own tenant and
	// creation budget), so the demo can neither show a configured key's
	// sessions nor use up its budget.
	DemoKey        api.Key
	FrameAncestors string
	Retention      time.Duration
	// ReportTTL is how long the API's signed report links are valid
	// (LIVEGATE_REPORT_TTL), never past a session's retention.
	ReportTTL time.Duration
	// BiometricRetention is how long biometric values outlive their
	// session's end by default (LIVEGATE_BIOMETRIC_RETENTION); each key's
	// own, from LIVEGATE_KEY_RETENTION or this default, is in Keys.
	BiometricRetention time.Duration
	CreateRate         session.RateLimit
	ShutdownTimeout    time.Duration

	// Abuse limits (the README's "Security").
	TrustedProxies httpx.TrustedProxies
	AuthLockout    session.LockoutPolicy // wrong API keys per client address
	AttemptLockout session.LockoutPolicy // failed attempts per device and per address
	CheckLimit     session.RateLimit     // single-image checks per key and per address
	OfferLimitKey  session.RateLimit
	OfferLimitIP   session.RateLimit
	PageLimitIP    session.RateLimit // page GETs per client address
	MaxLivePerKey  int

	// Live capture (WebRTC).
	ICEServers []web.ICEServer
	// TURN with short-lived credentials (the TURN REST convention):
	// TURNSecret is coturn's static-auth-secret, TURNURLs its turn: URLs,
	// TURNTTL the credentials' lifetime. TURNSecret "" means none.
	TURNSecret      string
	TURNURLs        []string
	TURNTTL         time.Duration
	ICERelayOnly    bool // pages use relay candidates only
	UDPPort         int
	UDPPortMin      uint16
	UDPPortMax      uint16
	NAT1To1IPs      []string
	ICETCPPort      int
	Loopback        bool // LIVEGATE_ADDR is a loopback address: offer 127.0.0.1 candidates
	MaxLive         int
	AnalysisFPS     float64
	LandmarkModel   string
	YuNetModel      string
	ConnectionLimit time.Duration

	// SpoofBands cut POST /face/v1/passive-liveness's spoof_percentage.
	SpoofBands api.SpoofBands
	// PassMark is the liveness score from which a live session whose
	// gestures all matched succeeds.
	PassMark float64
	// VirtualCameras are the camera-label fragments taken for a virtual
	// camera (an injection), lower case.
	VirtualCameras []string
	// Face matching.
	FaceModelDir   string  // face_recognition_model.bin and its manifest
	MatchThreshold float64 // embedding distance under which two faces match

	// Webhooks: the secrets that sign deliveries (nil: webhook_url is
	// refused with 503) and the guard of their targets, with the
	// operator's allow-list.
	WebhookSecrets *webhook.Secrets
	WebhookGuard   *webhook.Guard
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

	if c.MetricsAddr = get("LIVEGATE_METRICS_ADDR", ""); c.MetricsAddr != "" {
		_, mport, err := net.SplitHostPort(c.MetricsAddr)
		if p, perr := strconv.Atoi(mport); err != nil || perr != nil || p < 0 || p > 65535 {
			return nil, bad("LIVEGATE_METRICS_ADDR", "want host:port, e.g. 127.0.0.1:9090")
		}
	}

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
	if c.URLSigner, err = signedurl.New(secrets...); err != nil {
		return nil, bad("LIVEGATE_SESSION_SECRET", "%v", err)
	}

	// Biometric data at rest: sealed under LIVEGATE_DATA_KEYS. Without
	// them the server keeps no biometric data at all (verify_image answers
	// 503), unless LIVEGATE_DEV_DATA_KEY asks for a random key that dies
	// with the process: development only, so on by default only in
	// development mode (no API key configured) with the in-memory store,
	// which loses everything on exit anyway; refused with Redis, which
	// outlives the process and is shared by instances.
	if c.DataKeys, err = sealed.Parse(getenv("LIVEGATE_DATA_KEYS")); err != nil {
		return nil, bad("LIVEGATE_DATA_KEYS", "%v", err)
	}
	devData := c.DevKey && c.RedisURL == ""
	if v := getenv("LIVEGATE_DEV_DATA_KEY"); v != "" {
		if devData, err = strconv.ParseBool(v); err != nil {
			return nil, bad("LIVEGATE_DEV_DATA_KEY", "want true or false")
		}
		if devData && c.RedisURL != "" {
			return nil, bad("LIVEGATE_DEV_DATA_KEY", "a random data key cannot serve a Redis store (it outlives the process and is shared): set LIVEGATE_DATA_KEYS")
		}
	}
	if c.DataKeys == nil && devData {
		c.DataKeys, c.EphemeralDataKey = sealed.Ephemeral(), true
	}

	c.CPUProfile = get("LIVEGATE_CPU_PROFILE", "")

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
	if v := getenv("LIVEGATE_DEMO_FORCE"); v != "" {
		if c.DemoForced, err = strconv.ParseBool(v); err != nil {
			return nil, bad("LIVEGATE_DEMO_FORCE", "want true or false")
		}
	}
	if c.Demo && !c.DevKey && !c.DemoForced {
		// Anyone who reaches /demo creates sessions through it: beside an
		// integrator's keys that is an open door, refused unless asked for.
		return nil, bad("LIVEGATE_DEMO", "the demo is refused beside real API keys (LIVEGATE_API_KEYS is set): anyone who reaches /demo can create sessions; set LIVEGATE_DEMO_FORCE=true to run it anyway")
	}
	c.DemoForced = c.DemoForced && c.Demo && !c.DevKey
	switch {
	case c.Demo && c.DevKey:
		// The development key is a tenant of its own already, and the
		// newcomer reads the demo's sessions with the key printed.
		c.DemoKey = c.Keys[0]
	case c.Demo:
		c.DemoKey = demoKey(secrets[0])
		c.Keys = append(c.Keys, c.DemoKey)
	}

	c.FrameAncestors = get("LIVEGATE_FRAME_ANCESTORS", "'none'")
	if strings.ContainsAny(c.FrameAncestors, ";,\r\n") {
		return nil, bad("LIVEGATE_FRAME_ANCESTORS", "want space-separated CSP sources, e.g. 'self' https://app.example.com")
	}

	if c.Retention, err = duration(get("LIVEGATE_RETENTION", "168h"), time.Minute, 365*24*time.Hour); err != nil {
		return nil, bad("LIVEGATE_RETENTION", "%v", err)
	}
	if err := loadBiometricRetention(c, get, bad); err != nil {
		return nil, err
	}
	if c.ReportTTL, err = duration(get("LIVEGATE_REPORT_TTL", min(24*time.Hour, c.Retention).String()), time.Minute, c.Retention); err != nil {
		return nil, bad("LIVEGATE_REPORT_TTL", "%v", err)
	}
	mb, err := strconv.Atoi(get("LIVEGATE_EVIDENCE_MEMORY_MB", "256"))
	if err != nil || mb < 1 || mb > 1<<20 {
		return nil, bad("LIVEGATE_EVIDENCE_MEMORY_MB", "want a whole number of MiB from 1")
	}
	c.EvidenceMemory = int64(mb) << 20
	if c.EvidenceURLTTL, err = duration(get("LIVEGATE_EVIDENCE_URL_TTL", "24h"), time.Minute, 7*24*time.Hour); err != nil {
		return nil, bad("LIVEGATE_EVIDENCE_URL_TTL", "%v", err)
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
	if err := loadLimits(c, get, bad); err != nil {
		return nil, err
	}
	if c.WebhookSecrets, err = webhook.ParseSecrets(getenv("LIVEGATE_WEBHOOK_SECRET"), getenv("LIVEGATE_WEBHOOK_SECRETS")); err != nil {
		return nil, err // names its variable
	}
	if c.WebhookGuard, err = webhook.ParseAllow(getenv("LIVEGATE_WEBHOOK_ALLOW")); err != nil {
		return nil, err
	}
	if c.SpoofBands, err = loadSpoofBands(get, bad); err != nil {
		return nil, err
	}
	if err := loadLiveConfig(c, get, bad, host); err != nil {
		return nil, err
	}
	return c, nil
}

// loadBiometricRetention reads how long each key's biometric values live
// past their session's end: LIVEGATE_BIOMETRIC_RETENTION for every key,
// LIVEGATE_KEY_RETENTION (comma-separated name=duration, the name a key's id
// or its HTTP Basic username) for some. None may exceed the session
// retention: a value cannot outlive its session. Errors never quote a name
// that matches no key, since it may be a mistyped secret.
func loadBiometricRetention(c *config, get func(name, def string) string, bad func(name string, format string, args ...any) error) error {
	var err error
	if c.BiometricRetention, err = duration(get("LIVEGATE_BIOMETRIC_RETENTION", "0s"), 0, c.Retention); err != nil {
		return bad("LIVEGATE_BIOMETRIC_RETENTION", "%v (at most LIVEGATE_RETENTION)", err)
	}
	for i := range c.Keys {
		c.Keys[i].BiometricRetention = c.BiometricRetention
	}
	v := get("LIVEGATE_KEY_RETENTION", "")
	if v == "" {
		return nil
	}
	set := map[int]bool{}
	for n, item := range strings.Split(v, ",") {
		name, d, ok := strings.Cut(strings.TrimSpace(item), "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return bad("LIVEGATE_KEY_RETENTION", "entry %d: want name=duration, the name a key's id (key_…) or username, e.g. key_0123456789abcdef=24h", n+1)
		}
		k := -1
		for i, key := range c.Keys {
			if key.ID() == name || key.Username != "" && key.Username == name {
				k = i
				break
			}
		}
		if k < 0 {
			return bad("LIVEGATE_KEY_RETENTION", "entry %d names no key of LIVEGATE_API_KEYS: use a key's id (key_…, as logged at start-up) or its username", n+1)
		}
		keep, err := duration(strings.TrimSpace(d), 0, c.Retention)
		if err != nil {
			return bad("LIVEGATE_KEY_RETENTION", "entry %d (%s): %v (at most LIVEGATE_RETENTION)", n+1, name, err)
		}
		if set[k] {
			return bad("LIVEGATE_KEY_RETENTION", "entry %d (%s): that key's retention is already set", n+1, name)
		}
		set[k] = true
		c.Keys[k].BiometricRetention = keep
	}
	return nil
}

// loadLimits reads the trusted proxies and the abuse limits.
func loadLimits(c *config, get func(name, def string) string, bad func(name string, format string, args ...any) error) error {
	var err error
	if c.TrustedProxies, err = httpx.ParseTrustedProxies(get("LIVEGATE_TRUSTED_PROXIES", "")); err != nil {
		return bad("LIVEGATE_TRUSTED_PROXIES", "want comma-separated CIDRs of your reverse proxies, e.g. 10.0.0.0/8: %v", err)
	}
	for _, l := range []struct {
		name, def string
		dst       *session.LockoutPolicy
	}{
		{"LIVEGATE_AUTH_LOCKOUT", "10/5m/15m", &c.AuthLockout},
		{"LIVEGATE_ATTEMPT_LOCKOUT", "5/3m/30m", &c.AttemptLockout},
	} {
		if *l.dst, err = parseLockout(get(l.name, l.def)); err != nil {
			return bad(l.name, "%v", err)
		}
	}
	for _, l := range []struct {
		name, def string
		dst       *session.RateLimit
	}{
		{"LIVEGATE_CHECK_LIMIT", "20/10s", &c.CheckLimit},
		{"LIVEGATE_OFFER_LIMIT_KEY", "200/10s", &c.OfferLimitKey},
		{"LIVEGATE_OFFER_LIMIT_IP", "60/1m", &c.OfferLimitIP},
		{"LIVEGATE_PAGE_LIMIT_IP", "120/1m", &c.PageLimitIP},
	} {
		if *l.dst, err = parseRate(get(l.name, l.def)); err != nil {
			return bad(l.name, "%v", err)
		}
	}
	return nil
}

// loadSpoofBands reads the cut points of spoof_percentage, each a number
// from 0 to 1, MODERATE's at most HIGH's.
func loadSpoofBands(get func(name, def string) string, bad func(name string, format string, args ...any) error) (api.SpoofBands, error) {
	var b api.SpoofBands
	for _, v := range []struct {
		name string
		def  float64
		dst  *float64
	}{
		{"LIVEGATE_SPOOF_HIGH", api.DefaultSpoofBands.High, &b.High},
		{"LIVEGATE_SPOOF_MODERATE", api.DefaultSpoofBands.Moderate, &b.Moderate},
	} {
		x, err := strconv.ParseFloat(get(v.name, strconv.FormatFloat(v.def, 'f', -1, 64)), 64)
		if err != nil || x < 0 || x >= 1 {
			return b, bad(v.name, "want a spoof_percentage from 0 to below 1, e.g. %v", v.def)
		}
		*v.dst = x
	}
	if err := b.Validate(); err != nil {
		return b, bad("LIVEGATE_SPOOF_MODERATE", "must not exceed LIVEGATE_SPOOF_HIGH (%v > %v)", b.Moderate, b.High)
	}
	return b, nil
}

// loadLiveConfig reads the live capture settings.
func loadLiveConfig(c *config, get func(name, def string) string, bad func(name string, format string, args ...any) error, host string) error {
	var err error
	if c.ICEServers, err = parseICEServers(get("LIVEGATE_ICE_SERVERS", "")); err != nil {
		return bad("LIVEGATE_ICE_SERVERS", "%v", err)
	}
	port := func(name, v string) (int, error) {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return 0, bad(name, "want a port number from 1 to 65535")
		}
		return p, nil
	}
	if v := get("LIVEGATE_UDP_PORT", ""); v != "" {
		if c.UDPPort, err = port("LIVEGATE_UDP_PORT", v); err != nil {
			return err
		}
	}
	if v := get("LIVEGATE_UDP_PORTS", ""); v != "" {
		lo, hi, ok := strings.Cut(v, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if !ok || err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
			return bad("LIVEGATE_UDP_PORTS", "want a range min-max of UDP ports, e.g. 50000-50100")
		}
		if c.UDPPort != 0 {
			return bad("LIVEGATE_UDP_PORTS", "set either LIVEGATE_UDP_PORT (one shared port) or LIVEGATE_UDP_PORTS, not both")
		}
		c.UDPPortMin, c.UDPPortMax = uint16(a), uint16(b)
	}
	if v := get("LIVEGATE_NAT_1TO1_IPS", ""); v != "" {
		for _, ip := range strings.Split(v, ",") {
			ip = strings.TrimSpace(ip)
			if net.ParseIP(ip) == nil {
				return bad("LIVEGATE_NAT_1TO1_IPS", "%q is not an IP address", ip)
			}
			c.NAT1To1IPs = append(c.NAT1To1IPs, ip)
		}
	}
	if v := get("LIVEGATE_ICE_TCP_PORT", ""); v != "" {
		if c.ICETCPPort, err = port("LIVEGATE_ICE_TCP_PORT", v); err != nil {
			return err
		}
	}
	c.Loopback = host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		c.Loopback = true
	}
	c.MaxLive = 8 * runtime.GOMAXPROCS(0)
	if v := get("LIVEGATE_MAX_LIVE", ""); v != "" {
		if c.MaxLive, err = strconv.Atoi(v); err != nil || c.MaxLive < 1 || c.MaxLive > 100000 {
			return bad("LIVEGATE_MAX_LIVE", "want a whole number of connections from 1 to 100000")
		}
	}
	c.MaxLivePerKey = max(1, c.MaxLive/2)
	if v := get("LIVEGATE_MAX_LIVE_PER_KEY", ""); v != "" {
		if c.MaxLivePerKey, err = strconv.Atoi(v); err != nil || c.MaxLivePerKey < 1 || c.MaxLivePerKey > c.MaxLive {
			return bad("LIVEGATE_MAX_LIVE_PER_KEY", "want a whole number of connections from 1 to LIVEGATE_MAX_LIVE (%d)", c.MaxLive)
		}
	}
	if c.AnalysisFPS, err = strconv.ParseFloat(get("LIVEGATE_ANALYSIS_FPS", "15"), 64); err != nil || c.AnalysisFPS < 1 || c.AnalysisFPS > 60 {
		return bad("LIVEGATE_ANALYSIS_FPS", "want frames per second from 1 to 60")
	}
	c.LandmarkModel = get("LIVEGATE_LANDMARK_MODEL", landmarks.DefaultModelPath)
	if _, err := os.Stat(c.LandmarkModel); err != nil {
		return bad("LIVEGATE_LANDMARK_MODEL", "cannot read %s (install libdlib-data or point it at the model): %v", c.LandmarkModel, errors.Unwrap(err))
	}
	if c.YuNetModel, err = perception.FindYuNet(get("LIVEGATE_YUNET_MODEL", "")); err != nil {
		return bad("LIVEGATE_YUNET_MODEL", "no YuNet model in %s; set it to face_detection_yunet_2022mar.onnx", strings.Join(perception.DefaultYuNetPaths, " or "))
	}
	if _, err := os.Stat(c.YuNetModel); err != nil {
		return bad("LIVEGATE_YUNET_MODEL", "cannot read %s: %v", c.YuNetModel, errors.Unwrap(err))
	}
	if c.ConnectionLimit, err = duration(get("LIVEGATE_CONNECTION_LIMIT", "5m"), 10*time.Second, 24*time.Hour); err != nil {
		return bad("LIVEGATE_CONNECTION_LIMIT", "%v", err)
	}
	if c.PassMark, err = strconv.ParseFloat(get("LIVEGATE_PASS_MARK", "50"), 64); err != nil || !(c.PassMark > 0 && c.PassMark <= 100) {
		return bad("LIVEGATE_PASS_MARK", "want a liveness score above 0 and at most 100, e.g. 50")
	}
	c.VirtualCameras = liveness.DefaultVirtualCameras
	if v := get("LIVEGATE_VIRTUAL_CAMERAS", ""); v != "" {
		c.VirtualCameras = nil
		for _, f := range strings.Split(v, ",") {
			if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
				c.VirtualCameras = append(c.VirtualCameras, f)
			}
		}
	}
	if c.FaceModelDir, err = faceid.FindModelDir(get("LIVEGATE_FACE_MODEL_DIR", "")); err != nil {
		return bad("LIVEGATE_FACE_MODEL_DIR", "no face-recognition model in %s; set it to the directory of %s", strings.Join(faceid.DefaultModelDirs, " or "), faceid.WeightsFile)
	}
	if _, err := os.Stat(filepath.Join(c.FaceModelDir, faceid.WeightsFile)); err != nil {
		return bad("LIVEGATE_FACE_MODEL_DIR", "cannot read %s: %v", filepath.Join(c.FaceModelDir, faceid.WeightsFile), errors.Unwrap(err))
	}
	if err := loadTURNConfig(c, get, bad); err != nil {
		return err
	}
	c.MatchThreshold, err = strconv.ParseFloat(get("LIVEGATE_MATCH_THRESHOLD", strconv.FormatFloat(faceid.DefaultThreshold, 'f', -1, 64)), 64)
	if err != nil || c.MatchThreshold <= 0 || c.MatchThreshold >= 2 {
		return bad("LIVEGATE_MATCH_THRESHOLD", "want a face-embedding distance above 0 and below 2, e.g. %v", faceid.DefaultThreshold)
	}
	return nil
}

// minTURNSecret is the shortest TURN secret taken: whoever knows the
// secret can mint credentials, so it must not be guessable.
const minTURNSecret = 16

// loadTURNConfig reads the TURN secret, its servers and the credentials'
// lifetime, and the pages' relay-only switch (after LIVEGATE_ICE_SERVERS
// and LIVEGATE_CONNECTION_LIMIT).
func loadTURNConfig(c *config, get func(name, def string) string, bad func(name string, format string, args ...any) error) error {
	var err error
	c.TURNSecret = get("LIVEGATE_TURN_SECRET", "")
	if v := get("LIVEGATE_TURN_URLS", ""); v != "" {
		for _, u := range strings.Split(v, ",") {
			u = strings.TrimSpace(u)
			scheme, rest, _ := strings.Cut(u, ":")
			hostport, _, _ := strings.Cut(rest, "?")
			switch {
			case scheme != "turn" && scheme != "turns":
				return bad("LIVEGATE_TURN_URLS", "%q: want turn: or turns: URLs, e.g. turn:turn.example.com:3478", u)
			case strings.Contains(rest, "@"):
				return bad("LIVEGATE_TURN_URLS", "%q: no user:password@ here; credentials are made from LIVEGATE_TURN_SECRET", scheme+":…")
			case hostport == "" || strings.ContainsAny(hostport, "/ "):
				return bad("LIVEGATE_TURN_URLS", "%q: want host[:port]", u)
			}
			c.TURNURLs = append(c.TURNURLs, u)
		}
	}
	if c.TURNTTL, err = duration(get("LIVEGATE_TURN_TTL", "15m"), time.Minute, 24*time.Hour); err != nil {
		return bad("LIVEGATE_TURN_TTL", "%v", err)
	}
	switch {
	case c.TURNSecret == "" && len(c.TURNURLs) > 0:
		return bad("LIVEGATE_TURN_SECRET", "LIVEGATE_TURN_URLS needs the secret shared with the TURN server (coturn's static-auth-secret)")
	case c.TURNSecret != "" && len(c.TURNURLs) == 0:
		return bad("LIVEGATE_TURN_URLS", "LIVEGATE_TURN_SECRET is set: list the TURN server's turn: URLs, e.g. turn:turn.example.com:3478")
	case c.TURNSecret != "" && len(c.TURNSecret) < minTURNSecret:
		return bad("LIVEGATE_TURN_SECRET", "want at least %d characters (e.g. openssl rand -hex 32)", minTURNSecret)
	case c.TURNSecret != "" && c.TURNTTL < c.ConnectionLimit:
		return bad("LIVEGATE_TURN_TTL", "credentials must outlast one connection: want at least LIVEGATE_CONNECTION_LIMIT (%s)", c.ConnectionLimit)
	}
	hasTURN := c.TURNSecret != ""
	for _, s := range c.ICEServers {
		if !strings.HasPrefix(s.URLs[0], "turn") {
			continue
		}
		if c.TURNSecret != "" {
			// Every page would get this password, which lasts; the
			// secret exists so that none does.
			return bad("LIVEGATE_ICE_SERVERS", "holds a TURN password beside LIVEGATE_TURN_SECRET; list that server in LIVEGATE_TURN_URLS without credentials")
		}
		hasTURN = true
	}
	if v := get("LIVEGATE_ICE_RELAY_ONLY", ""); v != "" {
		if c.ICERelayOnly, err = strconv.ParseBool(v); err != nil {
			return bad("LIVEGATE_ICE_RELAY_ONLY", "want true or false")
		}
	}
	if c.ICERelayOnly && !hasTURN {
		return bad("LIVEGATE_ICE_RELAY_ONLY", "pages limited to relay candidates need a TURN server: set LIVEGATE_TURN_SECRET and LIVEGATE_TURN_URLS")
	}
	return nil
}

// parseICEServers reads LIVEGATE_ICE_SERVERS: comma-separated
// scheme:[user:password@]host[:port][?query] with scheme stun, stuns, turn
// or turns; user and password are percent-decoded.
func parseICEServers(v string) ([]web.ICEServer, error) {
	var out []web.ICEServer
	if v == "" {
		return nil, nil
	}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		scheme, rest, ok := strings.Cut(item, ":")
		switch scheme {
		case "stun", "stuns", "turn", "turns":
		default:
			return nil, fmt.Errorf("%q: want stun:, stuns:, turn: or turns: URLs", item)
		}
		if !ok || rest == "" {
			return nil, fmt.Errorf("%q: no host", item)
		}
		s := web.ICEServer{}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			user, pass, ok := strings.Cut(rest[:at], ":")
			if !ok || user == "" {
				return nil, fmt.Errorf("%q: credentials must be user:password@", scheme+":…")
			}
			var err1, err2 error
			s.Username, err1 = url.PathUnescape(user)
			s.Credential, err2 = url.PathUnescape(pass)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%q: bad percent-encoding in the credentials", scheme+":…")
			}
			rest = rest[at+1:]
		}
		hostport, _, _ := strings.Cut(rest, "?")
		if hostport == "" || strings.ContainsAny(hostport, "/ ") {
			return nil, fmt.Errorf("%q: want host[:port]", scheme+":"+rest)
		}
		if (scheme == "turn" || scheme == "turns") && s.Username == "" {
			return nil, fmt.Errorf("%q: TURN needs user:password@", scheme+":"+rest)
		}
		s.URLs = []string{scheme + ":" + rest}
		out = append(out, s)
	}
	return out, nil
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

// demoKey is the demo's API key, derived from the first session secret so
// that every instance sharing the secret (and a Redis store) agrees on the
// demo's tenant; with a random secret it is random too.
func demoKey(secret string) api.Key {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("livegate demo API key"))
	return api.Key{Secret: "demo_" + hex.EncodeToString(m.Sum(nil)[:16])}
}
