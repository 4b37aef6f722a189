// Package browsertest drives a real headless Chromium from Go tests with
// chromedp: it starts the browser with the flags that work as root on this
// stack, records every console message, exception, browser log entry and
// Content-Security-Policy violation of the tab, and saves screenshots.
//
// A missing Chromium fails the test (it never skips), because a browser test
// that silently does not run proves nothing; `make test` installs it.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium binary (/usr/bin/chromium is a wrapper
// script that adds flags of its own).
const ChromiumPath = "/usr/lib/chromium/chromium"

// DefaultTimeout bounds each Run when the caller gives none.
const DefaultTimeout = 15 * time.Second

// Option adds Chromium flags, for example a fake camera:
// Flag("use-fake-device-for-media-stream", true).
type Option = chromedp.ExecAllocatorOption

// Flag is chromedp.Flag, re-exported so callers need not import chromedp for
// options alone.
func Flag(name string, value any) Option { return chromedp.Flag(name, value) }

// Browser is one headless Chromium with one tab, for one test.
type Browser struct {
	t   testing.TB
	ctx context.Context // the tab; no deadline, since the first Run binds the browser's life to it

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
	marks    map[string]chan struct{}
}

// cspReporter runs in every document before its own scripts (DevTools
// injects it, so the page's CSP does not apply to it) and turns each CSP
// violation into a console error that Problems reports.
const cspReporter = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});`

// New starts Chromium and opens a tab; the test's cleanup closes both.
func New(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Fatalf("Chromium is needed for this test and was not found at %s (%v): run `make test`, which installs it", ChromiumPath, err)
	}
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	flags = append(flags, opts...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first Run starts the browser: no deadline on it (a deadline there
	// would stop the browser when it fires).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", ChromiumPath, err)
	}
	b := &Browser{t: t, ctx: ctx, marks: map[string]chan struct{}{}}
	messages := chromedp.Console(ctx) // subscribed from here on
	go b.collect(messages)
	err := b.Run(DefaultTimeout, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: cspReporter})
		return err
	}))
	if err != nil {
		t.Fatalf("browsertest: install CSP reporter: %v", err)
	}
	return b
}

func (b *Browser) collect(messages func(func(chromedp.ConsoleMessage, error) bool)) {
	for m, err := range messages {
		if err != nil {
			return
		}
		b.mu.Lock()
		b.messages = append(b.messages, m)
		if ch, ok := b.marks[m.Text]; ok {
			close(ch)
			delete(b.marks, m.Text)
		}
		b.mu.Unlock()
	}
}

// Context is the tab's context, for chromedp calls the helpers do not
// cover. Do not put a deadline on it; use Run for timeouts.
func (b *Browser) Context() context.Context { return b.ctx }

// Run runs actions in order with a timeout (DefaultTimeout when zero).
func (b *Browser) Run(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// MustRun is Run that fails the test on error, naming what it was doing.
func (b *Browser) MustRun(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := b.Run(0, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v\nconsole so far:\n%s", what, err, b.dump())
	}
}

// Text returns the visible text of the first element sel matches.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return s
}

// Location returns the tab's current URL.
func (b *Browser) Location() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("browser: location: %v", err)
	}
	return s
}

// TestID is the CSS selector of the element with that data-testid.
func TestID(id string) string { return fmt.Sprintf(`[data-testid=%q]`, id) }

// Console returns every message the tab produced so far. It first logs a
// marker and waits until the marker arrives, so that no earlier message is
// still on its way.
func (b *Browser) Console() []chromedp.ConsoleMessage {
	b.t.Helper()
	mark := fmt.Sprintf("browsertest:flush:%d", time.Now().UnixNano())
	ch := make(chan struct{})
	b.mu.Lock()
	b.marks[mark] = ch
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("console.debug(%q)", mark))); err != nil {
		b.t.Fatalf("browser: flush console: %v", err)
	}
	select {
	case <-ch:
	case <-ctx.Done():
		b.t.Fatalf("browser: console marker never arrived")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []chromedp.ConsoleMessage
	for _, m := range b.messages {
		if !strings.HasPrefix(m.Text, "browsertest:flush:") {
			out = append(out, m)
		}
	}
	return out
}

// Problems returns the console messages a page must never produce: errors,
// warnings, exceptions and CSP violations (Chromium reports those both as a
// log entry and through the injected reporter).
func (b *Browser) Problems() []string {
	b.t.Helper()
	var out []string
	for _, m := range b.Console() {
		switch {
		case m.IsException(), m.Type == chromedp.ConsoleError, m.Type == chromedp.ConsoleWarning,
			strings.Contains(m.Text, "Content Security Policy"), strings.Contains(m.Text, "CSP violation"):
			out = append(out, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
		}
	}
	return out
}

func (b *Browser) dump() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	for _, m := range b.messages {
		fmt.Fprintf(&sb, "  %s %s:%d %s\n", m.Type, m.URL, m.Line+1, m.Text)
	}
	return sb.String()
}

// OutDir is where tests write screenshots: $LIVEGATE_TEST_OUT when set (so
// that a person can look at them after the run), else a temporary directory.
func OutDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("LIVEGATE_TEST_OUT")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	return dir
}

// Screenshot sets the viewport to width×height (a phone gets mobile and
// touch emulation below 600 px), captures it as PNG into dir/name and
// returns the path. With full set, it captures the whole page instead.
func (b *Browser) Screenshot(dir, name string, width, height int64, full bool) string {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if width < 600 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2))
	}
	b.MustRun("set viewport", chromedp.EmulateViewport(width, height, opts...))
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		b.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return path
}

var (
	axeOnce sync.Once
	axeSrc  string
	axeErr  error
)

// Axe runs axe-core (test/a11y/node_modules, `npm ci --prefix test/a11y`)
// on the page as it is now and fails the test on serious or critical
// violations. axe is evaluated through DevTools, so the page's CSP does not
// stop it.
func (b *Browser) Axe(t testing.TB, what string) {
	t.Helper()
	axeOnce.Do(func() {
		var root string
		if root, axeErr = moduleRoot(); axeErr == nil {
			var raw []byte
			raw, axeErr = os.ReadFile(filepath.Join(root, "test", "a11y", "node_modules", "axe-core", "axe.min.js"))
			axeSrc = string(raw)
		}
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

// moduleRoot is the nearest directory above the working directory (a
// test's package directory) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("browsertest: no go.mod above the working directory")
		}
		dir = up
	}
}
