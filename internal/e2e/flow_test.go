package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/browsertest"
	"github.com/livegate/livegate/internal/facegen"
)

// These tests run the whole flow: Chromium's fake camera plays facegen
// footage, the page streams it over WebRTC on loopback to the real live
// capture, whose gesture engine judges it. A test that needs a gesture to
// pass or to fail as wrong uses the reactive camera (camera_test.go), which
// answers the server's instructions as a person does; a looping clip would
// be a replay. Tests that only need a face in view play a neutral clip.

const (
	clipNeutral = "neutral 4s"
	// clipReplay is a recording of every head gesture, a neutral second
	// between them and none at the loop's seam: any 2 s of it holds a
	// gesture.
	clipReplay = "neutral 1s; HEAD_LEFT 30deg 1s; neutral 1s; HEAD_RIGHT 30deg 1s; neutral 1s; HEAD_UP 1s; neutral 1s; HEAD_DOWN 1s"
	// reactionDelay is the reactive camera's delay from an instruction's
	// arrival to the start of the motion: a person's, well inside the
	// server's reaction window.
	reactionDelay = 600 * time.Millisecond
)

// transfer adds up the bytes a tab receives (encoded, as on the wire,
// headers included) from the request of a document whose URL ends with
// from, until stop is called.
type transfer struct {
	mu      sync.Mutex
	from    string
	started bool
	stopped bool
	urls    map[network.RequestID]string
	bytes   map[string]float64
}

func measureTransfer(t *testing.T, b *browsertest.Browser, from string) *transfer {
	t.Helper()
	tr := &transfer{from: from, urls: map[network.RequestID]string{}, bytes: map[string]float64{}}
	err := b.Run(0, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// A cold load: nothing from the cache, as for a first visit.
		_, err := cdp.Call(ctx, tg, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(b.Context(), func(ev any) {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if strings.HasSuffix(e.Request.URL, tr.from) {
				tr.started = true
			}
			tr.urls[e.RequestID] = e.Request.URL
		case *network.EventLoadingFinished:
			if tr.started && !tr.stopped {
				tr.bytes[tr.urls[e.RequestID]] += e.EncodedDataLength
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return tr
}

// stop ends the measure and returns the total and one line per resource.
func (tr *transfer) stop() (float64, string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.stopped = true
	var total float64
	var lines []string
	for u, n := range tr.bytes {
		total += n
		lines = append(lines, fmt.Sprintf("  %6.0f B  %s", n, u))
	}
	sort.Strings(lines)
	return total, strings.Join(lines, "\n")
}

// mark returns the time of a performance mark the page set, in ms since
// the capture page's navigation started.
func mark(t *testing.T, b *browsertest.Browser, name string) float64 {
	t.Helper()
	v, err := chromedp.Run(b.Context(), chromedp.Evaluate[float64](
		fmt.Sprintf(`(performance.getEntriesByName(%q)[0] || {startTime: -1}).startTime`, name)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// waitInstruction waits for the instruction of gesture.
func waitInstruction(t *testing.T, b *browsertest.Browser, gesture string, timeout time.Duration) {
	t.Helper()
	waitScreen(t, b, "screen-live", timeout)
	if err := b.Run(timeout, chromedp.WaitVisible(chromedp.CSS(`#capture[data-gesture="`+gesture+`"] `+id("instruction")))); err != nil {
		t.Fatalf("no instruction for %s: %v (state %s, fail reason %q, reactive camera %s)", gesture, err,
			evalString(b, `document.getElementById("capture").dataset.state`),
			evalString(b, `document.getElementById("fail-reason").textContent`),
			evalString(b, `JSON.stringify((window.__livegateCamera || {}).log || null)`))
	}
}

func TestFlowSuccess(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	sid, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_LEFT"}})
	b := openReactiveBrowser(t, reaction{Delay: reactionDelay})
	tr := measureTransfer(t, b, "/s/"+sid+"/capture")

	start := time.Now()
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-live", 10*time.Second)
	size, detail := tr.stop()
	waitInstruction(t, b, "HEAD_LEFT", firstInstructionTimeout)
	firstInstruction := time.Since(start)
	t.Logf("capture page transfer before the video starts (cold cache): %.1f KB\n%s", size/1024, detail)
	t.Logf("opening the URL → first instruction: %v (Start pressed at once; page marks: camera %.0f ms, answer %.0f ms, hello %.0f ms, first instruction %.0f ms after the capture page's navigation)",
		firstInstruction.Round(time.Millisecond), mark(t, b, "livegate:camera"), mark(t, b, "livegate:answer"),
		mark(t, b, "livegate:hello"), mark(t, b, "livegate:first-instruction"))
	if size > 150*1024 {
		t.Errorf("the capture page transfers %.1f KB before the video starts; the budget is 150 KB", size/1024)
	}
	if got := b.Text(id("instruction")); got != "Slowly turn your head to the left" {
		t.Errorf("instruction = %q", got)
	}

	waitScreen(t, b, "screen-success", 30*time.Second)
	checkReacted(t, cameraLog(t, b), "HEAD_LEFT")
	shots(t, b, "success")
	if err := b.Run(20*time.Second, chromedp.WaitVisible(chromedp.CSS(id("shop-done")))); err != nil {
		t.Fatalf("no redirect to success_url after success: %v (at %s)", err, b.Location())
	}
	if got, want := b.Location(), s.shop+"/done?order=7&sid="+sid; got != want {
		t.Errorf("landed on %s; want %s", got, want)
	}
	code, out := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid, nil)
	if code != http.StatusOK || out["status"] != "FINISHED" || !strings.Contains(jsonText(out["result"]), `"gesture_status":"MATCH"`) {
		t.Errorf("the API says %d %s; want FINISHED with MATCH", code, jsonText(out))
	}
	noProblems(t, b)

	// Issue 13: the result explains itself, and the back office opens the
	// signed report link in a browser, no API key: the chart of the turn
	// against its threshold, in Indonesian too.
	res, _ := out["result"].(map[string]any)
	evs, _ := res["evidence"].([]any)
	if ev, _ := firstOf(evs).(map[string]any); len(evs) != 1 || ev["gesture"] != "HEAD_LEFT" || ev["gesture_status"] != "MATCH" || ev["onset_ms"] == nil {
		t.Errorf("result without the turn's evidence: %s", jsonText(res))
	}
	report, _ := out["report_url"].(string)
	if !strings.Contains(report, "/report/"+sid+"?") {
		t.Fatalf("report_url %q", report)
	}
	for _, lang := range []string{"en", "id"} {
		b.MustRun("open the report "+lang, chromedp.Navigate(report+"&lang="+lang), chromedp.WaitVisible(id("report-chart")))
		if n := evalString(b, `String(document.querySelectorAll('[data-testid="report-chart"] polyline').length)`); n != "1" {
			t.Errorf("report %s: %s charted lines; want 1", lang, n)
		}
		axeScan(t, b, "report "+lang)
	}
	noProblems(t, b)
}

func TestFlowWrongGestureThenTryAgain(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	sid, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_LEFT"}, "max_attempts": 2})
	// The camera turns right when asked to turn left.
	b := openReactiveBrowser(t, reaction{Delay: reactionDelay, Wrong: true})
	startCapture(t, b, pageURL)
	waitInstruction(t, b, "HEAD_LEFT", firstInstructionTimeout)

	waitScreen(t, b, "screen-attempt-failed", 30*time.Second)
	if got := focusedScreen(t, b); got != "attempt-failed" {
		t.Errorf("focus after the failed attempt: %s", got)
	}
	if got := b.Text(id("attempts-left")); got != "You have 1 attempt left." {
		t.Errorf("attempts left = %q", got)
	}
	if got := b.Text(id("fail-reason")); got == "" {
		t.Error("the failed attempt gives no reason")
	}
	shots(t, b, "attempt-failed")
	axeScan(t, b, "attempt failed")

	b.MustRun("try again", chromedp.Click(chromedp.CSS(id("btn-try-again"))))
	waitInstruction(t, b, "HEAD_LEFT", 15*time.Second)
	// The second and last attempt fails too: the session is over, and a
	// finished session (either outcome) goes back to success_url.
	waitScreen(t, b, "screen-failed", 30*time.Second)
	shots(t, b, "failed")
	if err := b.Run(20*time.Second, chromedp.WaitVisible(chromedp.CSS(id("shop-done")))); err != nil {
		t.Fatalf("no redirect after the last failed attempt: %v (at %s)", err, b.Location())
	}
	if got, want := b.Location(), s.shop+"/done?order=7&sid="+sid; got != want {
		t.Errorf("landed on %s; want %s", got, want)
	}
	_, out := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid, nil)
	if out["status"] != "FINISHED" || strings.Contains(jsonText(out["result"]), `"gesture_status":"MATCH"`) {
		t.Errorf("the API says %s; want FINISHED without a match", jsonText(out))
	}
	_, audit := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid+"/audit", nil)
	if n := strings.Count(jsonText(audit), `"event":"attempt_started"`); n != 2 {
		t.Errorf("audit has %d attempt_started entries; want 2:\n%s", n, jsonText(audit))
	}
	noProblems(t, b)
}

// TestFlowLiveScreenAndCancel starts the asked gesture in time and stops
// short of it (a neutral face would end the try "late" after the reaction
// window), so the first instruction stays up: the live screen is checked,
// photographed and scanned, then Cancel goes over the data channel to
// cancel_url.
func TestFlowLiveScreenAndCancel(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	sid, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_UP", "HEAD_00"}})
	b := openReactiveBrowser(t, reaction{Delay: reactionDelay, Partial: true})
	startCapture(t, b, pageURL)
	waitInstruction(t, b, "HEAD_UP", firstInstructionTimeout)

	if got := evalString(b, `getComputedStyle(document.getElementById("preview")).transform`); got != "matrix(-1, 0, 0, 1, 0, 0)" {
		t.Errorf("preview transform = %q; want the mirror scaleX(-1)", got)
	}
	if got := evalString(b, `String(document.getElementById("preview").videoWidth)`); got != "640" {
		t.Errorf("preview video width = %s; want the clip's 640", got)
	}
	if got := evalString(b, `document.getElementById("step").textContent`); got != "Step 1 of 2" {
		t.Errorf("step = %q", got)
	}
	if got, want := evalString(b, `document.getElementById("live-region").textContent`), b.Text(id("instruction")); got != want {
		t.Errorf("live region says %q; want the instruction %q", got, want)
	}
	if got := evalString(b, `document.getElementById("live-region").getAttribute("aria-live")`); got != "polite" {
		t.Errorf("live region aria-live = %q", got)
	}
	// With reduced motion the gesture glyph holds its pose instead of moving.
	glyph := `(() => { const f = getComputedStyle(document.querySelector(".glyph-features")); return f.animationName + " " + f.transform; })()`
	if got := evalString(b, glyph); !strings.HasPrefix(got, "g-up ") {
		t.Errorf("glyph for HEAD_UP: %q; want the g-up animation", got)
	}
	b.MustRun("prefer reduced motion", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return err
	}))
	if got := evalString(b, glyph); got != "none matrix(1, 0, 0, 1, 0, -6)" {
		t.Errorf("glyph for HEAD_UP with reduced motion: %q; want no animation and the head up", got)
	}

	// The checks above come first: the try lasts about 10 s from the
	// attempt's start, and the screenshots and the scan can take seconds on
	// a busy machine.
	shots(t, b, "live")
	axeScan(t, b, "live")
	if st := evalString(b, `document.getElementById("capture").dataset.state`); st != "live" {
		t.Logf("the try ended (%s) before the live screen's screenshots and scan were done", st)
	}

	b.MustRun("cancel", chromedp.Click(chromedp.CSS(id("btn-cancel"))))
	if err := b.Run(10*time.Second, chromedp.WaitVisible(chromedp.CSS(id("shop-back")))); err != nil {
		t.Fatalf("cancel did not reach cancel_url: %v (at %s)", err, b.Location())
	}
	if got, want := b.Location(), s.shop+"/back?sid="+sid; got != want {
		t.Errorf("after cancel at %s; want %s", got, want)
	}
	if _, out := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid, nil); out["status"] != "CANCELED" {
		t.Errorf("after cancel the API says %v; want CANCELED", out["status"])
	}
	noProblems(t, b)
}

// TestFlowClosing: the integrator revokes one session and another expires
// while the user is on the live screen; each page shows its closing screen.
func TestFlowClosing(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	clip := facegenClip(t, clipNeutral)
	for _, tc := range []struct {
		name, screen string
		end          func(sid string)
	}{
		{"revoked", "screen-revoked", func(sid string) {
			if code, out := s.apiCall("DELETE", "/face/v1/active-liveness-sessions/"+sid, nil); code/100 != 2 {
				t.Fatalf("revoke: %d %v", code, out)
			}
		}},
		{"expired", "screen-expired", func(string) { s.clock.Advance(61 * time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sid, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_DOWN"}, "expires_in_seconds": 60})
			b := openBrowser(t, clipCamera, clip)
			startCapture(t, b, pageURL)
			waitInstruction(t, b, "HEAD_DOWN", firstInstructionTimeout)
			tc.end(sid)
			waitScreen(t, b, tc.screen, 10*time.Second)
			if got := focusedScreen(t, b); got != tc.name {
				t.Errorf("focus: %s", got)
			}
			if on := evalString(b, `String(!!document.getElementById("preview").srcObject)`); on != "false" {
				t.Error("the camera is still on after the session ended")
			}
			if b.Run(time.Second, chromedp.WaitVisible(chromedp.CSS(id("btn-cancel")))) == nil {
				t.Error("an ended session still offers Cancel")
			}
			shots(t, b, "closing-"+tc.name)
			axeScan(t, b, "closing "+tc.name)
			noProblems(t, b)
		})
	}
}

// TestFlowReplaced: the same browser opens the capture in a second tab,
// which takes the session over; the first tab says where it went.
func TestFlowReplaced(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	_, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_DOWN"}})
	b := openBrowser(t, clipCamera, facegenClip(t, clipNeutral))
	startCapture(t, b, pageURL)
	waitInstruction(t, b, "HEAD_DOWN", firstInstructionTimeout)

	tab, closeTab := chromedp.NewContext(b.Context())
	defer closeTab()
	if err := chromedp.Do(tab, chromedp.Navigate(pageURL+"/capture")); err != nil {
		t.Fatalf("second tab: %v", err)
	}
	waitScreen(t, b, "screen-replaced", 15*time.Second)
	ctx, cancel := context.WithTimeout(tab, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#capture[data-gesture="HEAD_DOWN"] `+id("instruction")))); err != nil {
		t.Errorf("the second tab did not take over: %v", err)
	}
	if on := evalString(b, `String(!!document.getElementById("preview").srcObject)`); on != "false" {
		t.Error("the replaced tab keeps the camera on")
	}
	shots(t, b, "closing-replaced")
	axeScan(t, b, "closing replaced")
	noProblems(t, b)
}

// TestFlowHint: in a dark room the engine asks for more light, and the page
// shows it over the preview and says it in the live region.
func TestFlowHint(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	_, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_LEFT"}})
	b := openBrowser(t, clipCamera, facegenClip(t, clipNeutral, facegen.LightDark))
	startCapture(t, b, pageURL)
	want := "Find a place with more light"
	if err := b.Run(firstInstructionTimeout, chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`(() => { const h = document.getElementById("hint");
			return !h.hidden && h.textContent === %[1]q && document.getElementById("live-region").textContent === %[1]q; })()`, want))); err != nil {
		t.Fatalf("no %q hint shown and spoken: %v (hint %q, live region %q)", want, err,
			evalString(b, `document.getElementById("hint").textContent`), evalString(b, `document.getElementById("live-region").textContent`))
	}
	shots(t, b, "hint")
	noProblems(t, b)
}

// TestFlowShutdown: the server shuts down while the user is on the live
// screen. The page says so, the attempt is handed back (not counted), and
// Try again, answered by a server that takes no more connections, ends on
// the connection-failed screen with its own retry.
func TestFlowShutdown(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	sid, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_DOWN"}})
	b := openBrowser(t, clipCamera, facegenClip(t, clipNeutral))
	startCapture(t, b, pageURL)
	waitInstruction(t, b, "HEAD_DOWN", firstInstructionTimeout)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.drainLive(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	waitScreen(t, b, "screen-shutdown", 10*time.Second)
	if got := focusedScreen(t, b); got != "shutdown" {
		t.Errorf("focus: %s", got)
	}
	shots(t, b, "closing-shutdown")
	axeScan(t, b, "closing shutdown")
	_, audit := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid+"/audit", nil)
	if !strings.Contains(jsonText(audit), `"outcome":"handed_back"`) {
		t.Errorf("the attempt cut short by the shutdown was not handed back:\n%s", jsonText(audit))
	}
	b.MustRun("try again", chromedp.Click(chromedp.CSS(id("screen-shutdown")+" "+id("btn-reconnect"))))
	waitScreen(t, b, "screen-connection-failed", 15*time.Second)
	noProblems(t, b, "status of 503")
}

func firstOf(v []any) any {
	if len(v) == 0 {
		return nil
	}
	return v[0]
}
