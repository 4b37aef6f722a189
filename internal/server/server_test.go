package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session/sessiontest"
)

const testKey = "test-key-0123456789abcdef"

// testDataKey seals the biometric data of the tests that keep some: with
// API keys configured, the server keeps none without LIVEGATE_DATA_KEYS.
const testDataKey = "dGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWJjZGVmISE=" // base64 of 32 bytes

// server is a livegate started through Run, as cmd/server starts it.
type server struct {
	url string
	// metricsURL is the internal address's base URL when
	// LIVEGATE_METRICS_ADDR is set, else "".
	metricsURL string
	stdout     *syncBuffer
	stderr     *syncBuffer
	stop       func() error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServer(t *testing.T, env map[string]string) *server {
	t.Helper()
	if _, ok := env["LIVEGATE_ADDR"]; !ok {
		env["LIVEGATE_ADDR"] = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Started, 1)
	done := make(chan error, 1)
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	go func() {
		done <- Run(ctx, Options{
			Getenv: func(k string) string { return env[k] },
			Stdout: s.stdout,
			Stderr: s.stderr,
			Ready:  func(st Started) { ready <- st },
		})
	}()
	select {
	case st := <-ready:
		s.url = "http://" + st.Addr
		if st.MetricsAddr != "" {
			s.metricsURL = "http://" + st.MetricsAddr
		}
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, s.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start within 30 s")
	}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	return s
}

func (s *server) call(t *testing.T, method, path, body string) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", testKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	_ = json.Unmarshal(b, &obj)
	return resp.StatusCode, obj, resp.Header
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadyMetricsAndLogs(t *testing.T) {
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey})
	if code, body := get(t, s.url+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: got %d %q", code, body)
	}
	if code, _ := get(t, s.url+"/readyz"); code != 200 {
		t.Errorf("/readyz: got %d; want 200", code)
	}
	code, obj, hdr := s.call(t, "POST", "/face/v1/active-liveness-sessions", `{"success_url":"https://a.example/"}`)
	if code != 200 || hdr.Get("Request-Id") == "" {
		t.Fatalf("create: got %d %v, Request-Id %q", code, obj, hdr.Get("Request-Id"))
	}
	_, metrics := get(t, s.url+"/metrics")
	for _, want := range []string{
		`livegate_http_requests_total{code="200",method="POST",route="POST /face/v1/active-liveness-sessions"} 1`,
		`livegate_sessions_total{kind="active",status="PENDING"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Logs are JSON lines carrying the request id.
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(s.stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "session created" && rec["request_id"] == hdr.Get("Request-Id") && rec["sid"] == obj["sid"] {
			found = true
		}
	}
	if !found {
		t.Errorf("no JSON log line for the creation with its request id and sid:\n%s", s.stderr)
	}
	if strings.Contains(s.stdout.String(), "development API key") {
		t.Errorf("printed a development key although keys are configured: %s", s.stdout)
	}
}

func TestDevelopmentKeyIsPrintedAndWorks(t *testing.T) {
	s := startServer(t, map[string]string{})
	out := s.stdout.String()
	var key string
	for _, line := range strings.Split(out, "\n") {
		if k, ok := strings.CutPrefix(line, "development API key: "); ok {
			key = k
		}
	}
	if key == "" || !strings.Contains(out, "/demo") {
		t.Fatalf("stdout lacks the development key or the demo address:\n%s", out)
	}
	req, _ := http.NewRequest("POST", s.url+"/face/v1/active-liveness-sessions", strings.NewReader(`{"success_url":"https://a.example/"}`))
	req.Header.Set("x-api-key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("create with the printed key: got %d", resp.StatusCode)
	}
}

func TestBadConfigNamesTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LIVEGATE_ADDR": "nonsense"}, "LIVEGATE_ADDR"},
		{map[string]string{"LIVEGATE_PUBLIC_URL": "ftp://x"}, "LIVEGATE_PUBLIC_URL"},
		{map[string]string{"LIVEGATE_API_KEYS": "short"}, "LIVEGATE_API_KEYS"},
		{map[string]string{"LIVEGATE_API_KEYS": testKey + ":user"}, "LIVEGATE_API_KEYS"},
		{map[string]string{"REDIS_URL": "http://x"}, "REDIS_URL"},
		{map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL"},
		{map[string]string{"LIVEGATE_SESSION_SECRET": "too-short"}, "LIVEGATE_SESSION_SECRET"},
		{map[string]string{"LIVEGATE_LOG_LEVEL": "loud"}, "LIVEGATE_LOG_LEVEL"},
		{map[string]string{"LIVEGATE_DEMO": "maybe"}, "LIVEGATE_DEMO"},
		{map[string]string{"LIVEGATE_RETENTION": "forever"}, "LIVEGATE_RETENTION"},
		{map[string]string{"LIVEGATE_CREATE_RATE": "-1"}, "LIVEGATE_CREATE_RATE"},
		{map[string]string{"LIVEGATE_CREATE_BURST": "0"}, "LIVEGATE_CREATE_BURST"},
		{map[string]string{"LIVEGATE_SPOOF_HIGH": "1"}, "LIVEGATE_SPOOF_HIGH"},
		{map[string]string{"LIVEGATE_SPOOF_MODERATE": "half"}, "LIVEGATE_SPOOF_MODERATE"},
		{map[string]string{"LIVEGATE_SPOOF_HIGH": "0.3", "LIVEGATE_SPOOF_MODERATE": "0.6"}, "LIVEGATE_SPOOF_MODERATE"},
		{map[string]string{"LIVEGATE_FRAME_ANCESTORS": "'self'; script-src *"}, "LIVEGATE_FRAME_ANCESTORS"},
		{map[string]string{"LIVEGATE_ICE_SERVERS": "http://stun.example.com"}, "LIVEGATE_ICE_SERVERS"},
		{map[string]string{"LIVEGATE_ICE_SERVERS": "turn:turn.example.com:3478"}, "LIVEGATE_ICE_SERVERS"},
		{map[string]string{"LIVEGATE_UDP_PORT": "70000"}, "LIVEGATE_UDP_PORT"},
		{map[string]string{"LIVEGATE_UDP_PORTS": "50100-50000"}, "LIVEGATE_UDP_PORTS"},
		{map[string]string{"LIVEGATE_UDP_PORT": "50000", "LIVEGATE_UDP_PORTS": "50000-50100"}, "LIVEGATE_UDP_PORTS"},
		{map[string]string{"LIVEGATE_NAT_1TO1_IPS": "203.0.113.7,not-an-ip"}, "LIVEGATE_NAT_1TO1_IPS"},
		{map[string]string{"LIVEGATE_ICE_TCP_PORT": "x"}, "LIVEGATE_ICE_TCP_PORT"},
		{map[string]string{"LIVEGATE_MAX_LIVE": "0"}, "LIVEGATE_MAX_LIVE"},
		{map[string]string{"LIVEGATE_ANALYSIS_FPS": "0"}, "LIVEGATE_ANALYSIS_FPS"},
		{map[string]string{"LIVEGATE_LANDMARK_MODEL": "/nonexistent/model.dat"}, "LIVEGATE_LANDMARK_MODEL"},
		{map[string]string{"LIVEGATE_YUNET_MODEL": "/nonexistent/yunet.onnx"}, "LIVEGATE_YUNET_MODEL"},
		{map[string]string{"LIVEGATE_CONNECTION_LIMIT": "1s"}, "LIVEGATE_CONNECTION_LIMIT"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		err := Run(context.Background(), Options{Getenv: func(k string) string { return tt.env[k] }, Stdout: io.Discard, Stderr: &stderr})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("env %v: got error %v; want one line starting with %s:", tt.env, err, tt.want)
		}
	}
}

// redisEnv returns the environment for a server on the test Redis with a
// key prefix of its own, removed when the test ends.
func redisEnv(t testing.TB) map[string]string {
	t.Helper()
	url := sessiontest.RedisURL()
	prefix := sessiontest.RedisPrefix(t, sessiontest.RedisClient(t))
	return map[string]string{
		"LIVEGATE_API_KEYS":       testKey,
		"REDIS_URL":               url,
		"LIVEGATE_REDIS_PREFIX":   prefix,
		"LIVEGATE_SESSION_SECRET": strings.Repeat("s", 40),
	}
}

func TestSessionsSurviveRestartWithRedis(t *testing.T) {
	env := redisEnv(t)
	first := startServer(t, env)
	code, created, _ := first.call(t, "POST", "/face/v1/active-liveness-sessions",
		`{"success_url":"https://a.example/","gestures":["HEAD_UP","HEAD_OPEN_MOUTH"]}`)
	if code != 200 {
		t.Fatalf("create: got %d %v", code, created)
	}
	sid := created["sid"].(string)
	if code, _ := get(t, first.url+"/readyz"); code != 200 {
		t.Errorf("/readyz with Redis: got %d", code)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := startServer(t, env)
	code, got, _ := second.call(t, "GET", "/face/v1/active-liveness-sessions/"+sid, "")
	if code != 200 || got["status"] != "PENDING" || got["sid"] != sid || got["expired"] != created["expired"] {
		t.Fatalf("after restart: got %d %v; want the same PENDING session", code, got)
	}
	if gs, _ := got["gestures"].([]any); len(gs) != 2 || gs[0] != "HEAD_UP" {
		t.Errorf("gestures after restart: got %v", got["gestures"])
	}
	code, _, _ = second.call(t, "DELETE", "/face/v1/active-liveness-sessions/"+sid, "")
	if code != 200 {
		t.Errorf("DELETE after restart: got %d", code)
	}
}

// TestGLAIRClient drives the official @glair/vision npm package, unchanged,
// against a running server.
func TestGLAIRClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found; run `make test`, which installs Node.js")
	}
	dir, _ := filepath.Abs("../../test/glair")
	if _, err := os.Stat(filepath.Join(dir, "node_modules/@glair/vision/package.json")); err != nil {
		t.Fatalf("@glair/vision is not installed in %s; run `make test` (npm ci)", dir)
	}
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey + ":glair-user:glair-pass"})
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(node, "client.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LIVEGATE_URL="+s.url, "API_KEY="+testKey,
		"API_USERNAME=glair-user", "API_PASSWORD=glair-pass", "OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node client.mjs: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		OK   bool           `json:"ok"`
		Body map[string]any `json:"body"`
	}
	var r map[string]outcome
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("report: %v\n%s", err, raw)
	}
	ac, ar := r["activeCreate"], r["activeRetrieve"]
	if !ac.OK || ac.Body["status"] != "PENDING" || ac.Body["number_of_gestures"] != float64(2) ||
		ac.Body["success_url"] != "https://shop.example/done?order=7" || ac.Body["cancel_url"] != "https://shop.example/back" ||
		ac.Body["url"] != strings.Replace(s.url, "127.0.0.1", "localhost", 1)+"/s/"+ac.Body["sid"].(string) {
		t.Errorf("active create: %+v", ac)
	}
	if !ar.OK || ar.Body["sid"] != ac.Body["sid"] || ar.Body["status"] != "PENDING" {
		t.Errorf("active retrieve: %+v", ar)
	}
	if res, ok := ar.Body["result"]; !ok || res != nil {
		t.Errorf("active retrieve result: got %v (present %v); want null", res, ok)
	}
	pc, pr := r["passiveCreate"], r["passiveRetrieve"]
	if !pc.OK || pc.Body["status"] != "PENDING" || !pr.OK || pr.Body["sid"] != pc.Body["sid"] {
		t.Errorf("passive create/retrieve: %+v %+v", pc, pr)
	}
	for name, want := range map[string]string{
		"unknownRetrieve": "session not found",
		"badCreate":       "success_url must be an absolute http or https URL",
		"wrongKey":        "missing or invalid API key or credentials",
	} {
		o := r[name]
		if o.OK || o.Body["status"] != "failed" || o.Body["error_message"] != want {
			t.Errorf("%s: got %+v; want a thrown {status: failed, error_message: %q}", name, o, want)
		}
	}
}

// TestRateLimitSharedAcrossInstances: two servers on one Redis draw from one
// token bucket per key.
func TestRateLimitSharedAcrossInstances(t *testing.T) {
	env := redisEnv(t)
	env["LIVEGATE_CREATE_RATE"], env["LIVEGATE_CREATE_BURST"] = "0.001", "3"
	a, b := startServer(t, env), startServer(t, env)
	body := `{"success_url":"https://a.example/"}`
	for i, s := range []*server{a, b, a} {
		if code, obj, _ := s.call(t, "POST", "/face/v1/active-liveness-sessions", body); code != 200 {
			t.Fatalf("create %d: got %d %v; want 200", i+1, code, obj)
		}
	}
	code, obj, hdr := b.call(t, "POST", "/face/v1/active-liveness-sessions", body)
	if code != 429 || hdr.Get("Retry-After") == "" || obj["status"] != "failed" {
		t.Errorf("fourth create on the other instance: got %d %v Retry-After %q; want 429", code, obj, hdr.Get("Retry-After"))
	}
}
