package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/browsertest"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/perception/footage"
	"github.com/livegate/livegate/internal/server"
	"github.com/livegate/livegate/internal/web"
)

const apiKey = "e2e_0123456789abcdef0123"

var id = browsertest.TestID

// firstInstructionTimeout bounds the wait for the first instruction on a
// new stack. Each stack loads its models (YuNet, the pure-Go landmark
// model) when it starts and the first offer waits for them: under -race
// on a busy 2-core machine (load average 14) that alone took 20–50 s.
const firstInstructionTimeout = 120 * time.Second

// clock is time.Now plus an offset the test can move forward, shared by
// the store, the API, the pages and the live capture, so that a session
// can expire without waiting.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// stack is one livegate, started through internal/server's Run as
// cmd/server starts it (configured by environment, memory store, listening
// on 127.0.0.1:0, public URL http://localhost:PORT), and an integrator's
// site on 127.0.0.1: two sites, as in production.
type stack struct {
	t     *testing.T
	base  string // livegate: http://localhost:PORT
	shop  string // the integrator: http://127.0.0.1:PORT
	clock *clock
	// drainLive ends the live connections while the rest keeps serving,
	// as the first step of a shutdown does.
	drainLive func(context.Context) error
}

// stackOptions choose the live capture behind the pages: the server's own
// (models, pion on loopback), or a stand-in for tests of screens that
// never reach the server's media.
type stackOptions struct {
	real bool
	// fake is used when real is false: server.Options.Live.
	fake web.Live
	// env adds to (or overrides) the server's environment.
	env map[string]string
}

func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	models := perception.FootageConfig()
	env := map[string]string{
		"LIVEGATE_ADDR":           "127.0.0.1:0",
		"LIVEGATE_API_KEYS":       apiKey,
		"LIVEGATE_SESSION_SECRET": "e2e-cookie-secret-0123456789abcdef",
		"LIVEGATE_YUNET_MODEL":    models.YuNet,
		"LIVEGATE_LANDMARK_MODEL": models.Landmarks,
		// Chromium's fake capture device ("fake_device_0") is these
		// tests' camera: every virtual camera but that one is refused.
		"LIVEGATE_VIRTUAL_CAMERAS": browserVirtualCameras(),
		// Every browser of these tests is 127.0.0.1, and some fail
		// attempts on purpose (replays, wrong gestures): the per-address
		// lockout and offer limit would lock the next test out. They are
		// tested in internal/web and internal/server.
		"LIVEGATE_ATTEMPT_LOCKOUT": "off",
		"LIVEGATE_OFFER_LIMIT_IP":  "off",
		"LIVEGATE_PAGE_LIMIT_IP":   "off",
	}
	maps.Copy(env, o.env)
	var logs io.Writer = io.Discard
	if os.Getenv("E2E_LOG") != "" {
		env["LIVEGATE_LOG_LEVEL"] = "debug"
		logs = os.Stderr
	}
	clk := &clock{}
	started := make(chan server.Started, 1)
	opts := server.Options{
		Getenv: func(k string) string { return env[k] },
		Stderr: logs,
		Ready:  func(st server.Started) { started <- st },
		Now:    clk.Now,
	}
	if !o.real {
		opts.Live = o.fake
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, opts) }()
	s := &stack{t: t, clock: clk}
	select {
	case st := <-started:
		s.base, s.drainLive = st.PublicURL, st.DrainLive
	case err := <-done:
		cancel()
		t.Fatalf("livegate did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("livegate stopped with %v", err)
		}
	})

	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><title>Shop</title></head><body><h1 data-testid="shop-%s">Back at the shop</h1></body></html>`,
			strings.Trim(r.URL.Path, "/"))
	}))
	t.Cleanup(shop.Close)
	s.shop = shop.URL
	return s
}

// apiCall sends one request to the REST API and decodes the JSON answer.
func (s *stack) apiCall(method, path string, body any) (int, map[string]any) {
	s.t.Helper()
	return s.apiCallAs(apiKey, method, path, body)
}

// apiCallAs is apiCall with another API key (the stack's env must list it).
func (s *stack) apiCallAs(key, method, path string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("x-api-key", key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		// The audit trail may be an array: keep it under "entries".
		var arr []any
		if json.Unmarshal(raw, &arr) != nil {
			s.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
		out = map[string]any{"entries": arr}
	}
	return res.StatusCode, out
}

// session creates an active session through the API; extra fields are
// added to the body. It returns the sid and the end user's URL.
func (s *stack) session(extra map[string]any) (sid, pageURL string) {
	s.t.Helper()
	body := map[string]any{
		"success_url": s.shop + "/done?order=7",
		"cancel_url":  s.shop + "/back",
	}
	for k, v := range extra {
		body[k] = v
	}
	code, out := s.apiCall("POST", "/face/v1/active-liveness-sessions", body)
	if code != http.StatusOK {
		s.t.Fatalf("create session: %d %v", code, out)
	}
	sid, _ = out["sid"].(string)
	pageURL, _ = out["url"].(string)
	if sid == "" || !strings.HasPrefix(pageURL, s.base+"/s/") {
		s.t.Fatalf("create session: %v", out)
	}
	return sid, pageURL
}

// browserOpt names a way to start Chromium for a test.
type camera int

const (
	noCamera      camera = iota // fake UI allows, no device at all
	deniedCamera                // a fake device, permission denied
	clipCamera                  // a fake device playing a y4m clip, allowed
	defaultCamera               // Chromium's own fake camera pattern, allowed
)

// openBrowser starts Chromium with the camera setup asked; clip is the y4m
// file for clipCamera. extra flags are appended.
func openBrowser(t *testing.T, cam camera, clip string, extra ...browsertest.Option) *browsertest.Browser {
	t.Helper()
	var opts []browsertest.Option
	switch cam {
	case noCamera:
		opts = append(opts, browsertest.Flag("use-fake-ui-for-media-stream", true))
	case deniedCamera:
		opts = append(opts, browsertest.Flag("use-fake-device-for-media-stream", true))
	case clipCamera:
		opts = append(opts,
			browsertest.Flag("use-fake-ui-for-media-stream", true),
			browsertest.Flag("use-fake-device-for-media-stream", true),
			browsertest.Flag("use-file-for-fake-video-capture", clip))
	case defaultCamera:
		opts = append(opts,
			browsertest.Flag("use-fake-ui-for-media-stream", true),
			browsertest.Flag("use-fake-device-for-media-stream", true))
	}
	opts = append(opts, browsertest.Flag("autoplay-policy", "no-user-gesture-required"))
	return browsertest.New(t, append(opts, extra...)...)
}

// beforeEachDocument runs src in every document before its own scripts,
// through DevTools (so the page's CSP does not apply): the tests' stand-in
// for a browser that lacks a feature.
func beforeEachDocument(t *testing.T, b *browsertest.Browser, src string) {
	t.Helper()
	err := b.Run(0, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
	if err != nil {
		t.Fatalf("add script: %v", err)
	}
}

// startCapture opens the consent page and presses Start.
func startCapture(t *testing.T, b *browsertest.Browser, pageURL string) {
	t.Helper()
	b.MustRun("open the consent page and press Start",
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible(chromedp.CSS(id("btn-start"))),
		chromedp.Click(chromedp.CSS(id("btn-start"))),
		chromedp.WaitVisible(chromedp.CSS(id("screen-capture"))),
	)
}

// waitScreen waits until the capture screen shows screen (a data-testid).
func waitScreen(t *testing.T, b *browsertest.Browser, screen string, timeout time.Duration) {
	t.Helper()
	if err := b.Run(timeout, chromedp.WaitVisible(chromedp.CSS(id(screen)))); err != nil {
		state := evalString(b, `(document.getElementById("capture") || document.body).dataset.state || ""`)
		reason := evalString(b, `(document.getElementById("fail-reason") || {}).textContent || ""`)
		camera := evalString(b, `JSON.stringify((window.__livegateCamera || {}).log || null)`)
		t.Fatalf("waiting for %s: %v (capture state %q, fail reason %q, page %s, reactive camera %s)", screen, err, state, reason, b.Location(), camera)
	}
}

func evalString(b *browsertest.Browser, expr string) string {
	s, err := chromedp.Run(b.Context(), chromedp.Evaluate[string](expr))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

// focusedScreen reports the screen whose heading has the focus.
func focusedScreen(t *testing.T, b *browsertest.Browser) string {
	t.Helper()
	return evalString(b, `(() => { const a = document.activeElement; const s = a && a.closest("[data-screen]");
		return a && a.tagName === "H1" && s ? s.dataset.screen : "(focus on " + (a ? a.tagName : "nothing") + ")"; })()`)
}

// shots saves the current screen at phone and desktop sizes, and checks
// that it fits the narrowest phone (360 px) and a desktop window at 200 %
// zoom (1280×800 seen as 640×400 CSS pixels) without scrolling sideways.
func shots(t *testing.T, b *browsertest.Browser, name string) {
	t.Helper()
	dir := browsertest.OutDir(t)
	b.Screenshot(dir, name+"-390x844.png", 390, 844, false)
	for _, vp := range []struct {
		what string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"360 px portrait", 360, 740, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2)}},
		{"200 % zoom", 640, 400, []chromedp.EmulateViewportOption{chromedp.EmulateScale(2)}},
	} {
		b.MustRun("viewport "+vp.what, chromedp.EmulateViewport(vp.w, vp.h, vp.opts...))
		if got := evalString(b, `String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); got != "0" {
			t.Errorf("%s at %s: the page scrolls sideways by %s px", name, vp.what, got)
		}
	}
	b.Screenshot(dir, name+"-zoom200.png", 640, 400, true)
	b.Screenshot(dir, name+"-1280x800.png", 1280, 800, false)
}

var (
	axeOnce sync.Once
	axeSrc  string
	axeErr  error
)

// axeScan runs axe-core on the page as it is now and fails the test on
// serious or critical violations. axe is evaluated through DevTools, so the
// page's CSP stays as it is.
func axeScan(t *testing.T, b *browsertest.Browser, what string) {
	t.Helper()
	axeOnce.Do(func() {
		var raw []byte
		raw, axeErr = os.ReadFile(filepath.Join("..", "..", "test", "a11y", "node_modules", "axe-core", "axe.min.js"))
		axeSrc = string(raw)
	})
	if axeErr != nil {
		t.Fatalf("axe-core is needed for the accessibility scan (%v): run `npm ci --prefix test/a11y`", axeErr)
	}
	type violation struct {
		ID     string   `json:"id"`
		Impact string   `json:"impact"`
		Help   string   `json:"help"`
		Nodes  []string `json:"nodes"`
	}
	var found []violation
	err := b.Run(30*time.Second,
		chromedp.Evaluate[chromedp.Void](axeSrc),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Evaluate[[]violation](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
				r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
				 .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html.slice(0, 160))})))`,
				chromedp.EvalAwaitPromise)(ctx, tg)
			found = v
			return err
		}))
	if err != nil {
		t.Fatalf("axe on %s: %v", what, err)
	}
	for _, v := range found {
		t.Errorf("axe, %s: %s (%s): %s\n  %s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// noProblems fails on console errors, warnings and CSP violations, except
// lines containing one of the expected strings.
func noProblems(t *testing.T, b *browsertest.Browser, expected ...string) {
	t.Helper()
next:
	for _, p := range b.Problems() {
		for _, e := range expected {
			if strings.Contains(p, e) {
				continue next
			}
		}
		t.Errorf("browser problem: %s", p)
	}
}

// facegenClip renders (once, cached) a clip of script for the fake camera;
// light is "" (normal) or a facegen light.
func facegenClip(t *testing.T, script string, light ...string) string {
	t.Helper()
	face, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	// The parameters of internal/capture/live's tests, so the cache serves both.
	p := facegen.Params{Face: face, Script: script, Width: 640, Height: 480, FPS: 15, Seed: 3, NoBlinks: true}
	if len(light) > 0 {
		p.Light = light[0]
	}
	return footage.Render(t, "", p).Video
}

// browserVirtualCameras is liveness's list of virtual-camera label
// fragments without "fake", comma-separated for LIVEGATE_VIRTUAL_CAMERAS.
func browserVirtualCameras() string {
	var out []string
	for _, v := range liveness.DefaultVirtualCameras {
		if v != "fake" {
			out = append(out, v)
		}
	}
	return strings.Join(out, ",")
}
