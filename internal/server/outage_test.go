package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// startRedis runs a redis-server of the test's own on a free port, without
// persistence, and returns its URL and a kill that stops it (once; the
// cleanup kills it otherwise).
func startRedis(t *testing.T) (string, func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found; run `make test`, which installs it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	kill := func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(kill)
	client := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for client.Ping(t.Context()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the test's redis-server did not answer within 10 s")
		}
		time.Sleep(20 * time.Millisecond) // polling a process we started, not waiting blindly
	}
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port), kill
}

// outageWant is what a route answers while the store is down.
type outageWant int

const (
	wantAPI503   outageWant = iota // 503, Retry-After, the API's JSON error format
	wantPage503                    // 503, Retry-After, the page's HTML "unavailable" screen
	wantHTML503                    // 503, Retry-After, an HTML page (the demo's, showing the API's answer)
	wantProbe503                   // 503, Retry-After (readiness: plain text for probes)
	wantServed                     // needs no store: served as usual (not 5xx)
)

// TestEveryRouteAnswersAStoreOutage walks the whole route table (every
// option that adds routes turned on) with the server's Redis stopped:
// every route that needs the store (sessions, limits, lockouts) answers
// 503 with Retry-After in its own surface's format, the API's JSON or the
// page's HTML; the others serve as usual; none answers 500. A route added
// without a row here fails the test.
func TestEveryRouteAnswersAStoreOutage(t *testing.T) {
	redisURL, kill := startRedis(t)
	const public = "https://live.example.com"
	env := map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_PUBLIC_URL": public, "REDIS_URL": redisURL,
		"LIVEGATE_DEMO": "true", "LIVEGATE_DEMO_FORCE": "true",
		// A data key, so that the evidence routes reach the store.
		"LIVEGATE_DATA_KEYS": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	store, lim, closeStore, err := openStore(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	cfg.images, _ = store.(session.ImageStore) // as Run does
	h, routes, err := buildHandler(cfg, store, lim, prometheus.NewRegistry(), slog.New(slog.DiscardHandler), signallingLive{}, newFaceEmbedder(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	do := func(req *http.Request) *http.Response {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}

	// While Redis is up: a session, and a browser that opened its page
	// (its cookie and the form token), so that the page's POSTs get past
	// their CSRF checks to the store.
	req := httptest.NewRequest("POST", public+"/face/v1/active-liveness-sessions", strings.NewReader(`{"success_url":"https://a.example/","cancel_url":"https://a.example/c"}`))
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("Content-Type", "application/json")
	resp := do(req)
	var created struct{ SID string }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != 200 || created.SID == "" {
		t.Fatalf("create with Redis up: %d %v", resp.StatusCode, err)
	}
	sid := created.SID
	page := do(httptest.NewRequest("GET", public+"/s/"+sid, nil))
	body, _ := io.ReadAll(page.Body)
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(body)
	if page.StatusCode != 200 || m == nil {
		t.Fatalf("consent page with Redis up: %d, token found %v", page.StatusCode, m != nil)
	}
	token := strings.ReplaceAll(string(m[1]), "&#43;", "+")
	cookies := page.Cookies()
	demo := do(httptest.NewRequest("GET", public+"/demo", nil))
	body, _ = io.ReadAll(demo.Body)
	m = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(body)
	if demo.StatusCode != 200 || m == nil {
		t.Fatalf("demo page with Redis up: %d, token found %v", demo.StatusCode, m != nil)
	}
	demoForm := url.Values{"csrf_token": {strings.ReplaceAll(string(m[1]), "&#43;", "+")}}.Encode()
	demoCookies := demo.Cookies()

	kill()

	const active, passive = "/face/v1/active-liveness-sessions", "/face/v1/passive-liveness-sessions"
	create := `{"success_url":"https://a.example/"}`
	form := url.Values{"csrf_token": {token}}.Encode()
	cases := map[string]struct {
		path, body, contentType string
		want                    outageWant
	}{
		"POST " + active:                        {active, create, "application/json", wantAPI503},
		"GET " + active + "/{sid}":              {active + "/" + sid, "", "", wantAPI503},
		"DELETE " + active + "/{sid}":           {active + "/" + sid, "", "", wantAPI503},
		"GET " + active + "/{sid}/audit":        {active + "/" + sid + "/audit", "", "", wantAPI503},
		"DELETE " + active + "/{sid}/data":      {active + "/" + sid + "/data", "", "", wantAPI503},
		"POST " + passive:                       {passive, create, "application/json", wantAPI503},
		"GET " + passive + "/{sid}":             {passive + "/" + sid, "", "", wantAPI503},
		"DELETE " + passive + "/{sid}":          {passive + "/" + sid, "", "", wantAPI503},
		"GET " + passive + "/{sid}/audit":       {passive + "/" + sid + "/audit", "", "", wantAPI503},
		"DELETE " + passive + "/{sid}/data":     {passive + "/" + sid + "/data", "", "", wantAPI503},
		"POST /face/v1/active-liveness":         {"/face/v1/active-liveness", `{"image":"x"}`, "application/json", wantAPI503},
		"POST /face/v1/passive-liveness":        {"/face/v1/passive-liveness", `{"image":"x"}`, "application/json", wantAPI503},
		"POST /face/v1/match":                   {"/face/v1/match", `{"image1":"x","image2":"y"}`, "application/json", wantAPI503},
		"/face/":                                {"/face/v1/nothing-here", "", "", wantServed}, // 404 before any key check
		"GET /openapi.json":                     {"/openapi.json", "", "", wantServed},
		"GET /healthz":                          {"/healthz", "", "", wantServed},
		"GET /readyz":                           {"/readyz", "", "", wantProbe503},
		"GET /metrics":                          {"/metrics", "", "", wantServed},
		"GET /s/{sid}":                          {"/s/" + sid, "", "", wantPage503},
		"GET /s/{sid}/capture":                  {"/s/" + sid + "/capture", "", "", wantPage503},
		"POST /s/{sid}/capture":                 {"/s/" + sid + "/capture", form, "application/x-www-form-urlencoded", wantPage503},
		"POST /s/{sid}/cancel":                  {"/s/" + sid + "/cancel", form, "application/x-www-form-urlencoded", wantPage503},
		"POST /s/{sid}/release":                 {"/s/" + sid + "/release", "", "", wantAPI503},
		"POST /s/{sid}/offer":                   {"/s/" + sid + "/offer", "v=0\r\n", "application/sdp", wantAPI503},
		"DELETE /s/{sid}/offer":                 {"/s/" + sid + "/offer", "", "", wantAPI503},
		"GET /s/":                               {"/s/not/a/page", "", "", wantPage503}, // the page limit is checked first
		"GET /static/":                          {"/static/nothing.css", "", "", wantServed},
		"DELETE " + active + "/{sid}/evidence":  {active + "/" + sid + "/evidence", "", "", wantAPI503},
		"DELETE " + passive + "/{sid}/evidence": {passive + "/" + sid + "/evidence", "", "", wantAPI503},
		"GET /evidence/{sid}/{name}":            {cfg.URLSigner.Path("/evidence/"+sid+"/image_best", time.Now().Add(time.Hour)), "", "", wantAPI503},
		"GET /report/{sid}":                     {web.ReportPath(sid) + "?" + cfg.URLSigner.Query(web.ReportPath(sid), time.Now().Add(time.Hour)), "", "", wantPage503},
		"GET /demo":                             {"/demo", "", "", wantServed},
		"POST /demo":                            {"/demo", demoForm, "application/x-www-form-urlencoded", wantHTML503},
		"GET /demo/done":                        {"/demo/done?sid=" + sid, "", "", wantHTML503},
		"GET /demo/canceled":                    {"/demo/canceled?sid=" + sid, "", "", wantHTML503},
	}
	for _, route := range routes {
		c, ok := cases[route]
		if !ok {
			t.Errorf("route %q has no row in this test: say what it answers while the store is down", route)
			continue
		}
		method := "GET"
		if m, _, ok := strings.Cut(route, " "); ok {
			method = m
		}
		var rd io.Reader
		if c.body != "" {
			rd = strings.NewReader(c.body)
		}
		req := httptest.NewRequest(method, public+c.path, rd)
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		req.Header.Set("x-api-key", testKey)
		req.Header.Set("X-CSRF-Token", token)
		req.Header.Set("Origin", public)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		jar := cookies
		if strings.HasPrefix(c.path, "/demo") {
			jar = demoCookies
		}
		for _, ck := range jar {
			req.AddCookie(ck)
		}
		resp := do(req)
		b, _ := io.ReadAll(resp.Body)
		ct, ra := resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After")
		switch c.want {
		case wantAPI503:
			var e struct {
				Status       string `json:"status"`
				ErrorMessage string `json:"error_message"`
			}
			err := json.Unmarshal(b, &e)
			if resp.StatusCode != 503 || ra == "" || !strings.HasPrefix(ct, "application/json") || err != nil || e.Status != "failed" ||
				e.ErrorMessage == "" || strings.Contains(strings.ToLower(e.ErrorMessage), "redis") {
				t.Errorf("%s (%s %s) with the store down: %d Retry-After %q %q %s; want 503, Retry-After, the API's error format, no internals",
					route, method, c.path, resp.StatusCode, ra, ct, b)
			}
		case wantPage503:
			if resp.StatusCode != 503 || ra == "" || !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(b), `data-testid="screen-unavailable"`) {
				t.Errorf("%s (%s %s) with the store down: %d Retry-After %q %q; want 503, Retry-After, the page's unavailable screen",
					route, method, c.path, resp.StatusCode, ra, ct)
			}
		case wantHTML503:
			if resp.StatusCode != 503 || ra == "" || !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s (%s %s) with the store down: %d Retry-After %q %q; want 503, Retry-After, an HTML page",
					route, method, c.path, resp.StatusCode, ra, ct)
			}
		case wantProbe503:
			if resp.StatusCode != 503 || ra == "" {
				t.Errorf("%s (%s %s) with the store down: %d Retry-After %q; want 503, Retry-After", route, method, c.path, resp.StatusCode, ra)
			}
		case wantServed:
			if resp.StatusCode >= 500 {
				t.Errorf("%s (%s %s) with the store down: %d; it needs no store", route, method, c.path, resp.StatusCode)
			}
		}
	}
	for route := range cases {
		found := false
		for _, r := range routes {
			found = found || r == route
		}
		if !found {
			t.Errorf("row %q names no route of the table", route)
		}
	}
}
