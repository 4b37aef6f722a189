package e2e_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/browsertest"
	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// These tests cover the screens the page reaches before any media reaches
// the server: the camera's outcomes, browsers that cannot take part, a
// refused connection, and the server's own screens for sessions that can
// no longer be used. They run against a stand-in live capture that only
// hands out ICE servers (and, for the connection test, refuses offers).

// iceOnly is a live capture that has ICE servers and no signalling.
type iceOnly struct{}

func (iceOnly) ICEServers(string) []web.ICEServer { return nil }

// fullLive refuses every offer as a server at its connection cap does.
type fullLive struct {
	iceOnly
	offers atomic.Int32
}

func (f *fullLive) Offer(context.Context, web.OfferRequest) (string, error) {
	f.offers.Add(1)
	return "", &session.Error{Code: session.EUnavailable, Message: "too many live connections; retry later"}
}

func (f *fullLive) Hangup(context.Context, string, string) error { return nil }

func TestCameraDenied(t *testing.T) {
	s := newStack(t, stackOptions{fake: iceOnly{}})
	sid, pageURL := s.session(nil)
	b := openBrowser(t, deniedCamera, "")
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-denied", 10*time.Second)
	if got := focusedScreen(t, b); got != "denied" {
		t.Errorf("focus after the camera was denied: %s; want the denied screen's heading", got)
	}
	help := b.Text(id("denied-help"))
	for _, browser := range []string{"Chrome", "Safari", "Firefox"} {
		if !strings.Contains(help, browser) {
			t.Errorf("the denied screen does not say how to allow the camera in %s:\n%s", browser, help)
		}
	}
	shots(t, b, "denied")
	axeScan(t, b, "denied")

	// With the keyboard alone: Tab from the heading reaches Try again,
	// which asks again (still denied: the same screen, focus on its
	// heading again), then Cancel, which goes back to the integrator.
	b.MustRun("tab to Try again", chromedp.KeyEvent("\t"))
	if got := evalString(b, `document.activeElement.dataset.testid || document.activeElement.tagName`); got != "btn-retry-camera" {
		t.Errorf("Tab from the heading focused %s; want Try again", got)
	}
	b.MustRun("try again", chromedp.KeyEvent("\r"))
	waitScreen(t, b, "screen-denied", 10*time.Second)
	if got := focusedScreen(t, b); got != "denied" {
		t.Errorf("focus after trying again: %s", got)
	}
	b.MustRun("tab to Cancel", chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
	if got := evalString(b, `document.activeElement.dataset.testid || document.activeElement.tagName`); got != "btn-cancel" {
		t.Errorf("second Tab focused %s; want Cancel", got)
	}
	b.MustRun("cancel", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(id("shop-back"))))
	if got, want := b.Location(), s.shop+"/back?sid="+sid; got != want {
		t.Errorf("after cancel at %s; want %s", got, want)
	}
	if _, out := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid, nil); out["status"] != "CANCELED" {
		t.Errorf("after cancel the API says %v; want CANCELED", out["status"])
	}
	noProblems(t, b)
}

func TestNoCamera(t *testing.T) {
	s := newStack(t, stackOptions{fake: iceOnly{}})
	_, pageURL := s.session(nil)
	b := openBrowser(t, noCamera, "")
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-no-camera", 10*time.Second)
	if got := focusedScreen(t, b); got != "no-camera" {
		t.Errorf("focus: %s", got)
	}
	shots(t, b, "no-camera")
	axeScan(t, b, "no camera")
	noProblems(t, b)
}

func TestCameraBusy(t *testing.T) {
	s := newStack(t, stackOptions{fake: iceOnly{}})
	_, pageURL := s.session(nil)
	b := openBrowser(t, defaultCamera, "")
	// Another application holds the camera: Chromium's error for that.
	beforeEachDocument(t, b, `navigator.mediaDevices.getUserMedia = () =>
		Promise.reject(new DOMException("Could not start video source", "NotReadableError"));`)
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-camera-busy", 10*time.Second)
	shots(t, b, "camera-busy")
	axeScan(t, b, "camera busy")
	noProblems(t, b)
}

func TestBrowserWithoutWebRTC(t *testing.T) {
	s := newStack(t, stackOptions{fake: iceOnly{}})
	sid, pageURL := s.session(nil)
	b := openBrowser(t, defaultCamera, "")
	beforeEachDocument(t, b, `delete window.RTCPeerConnection;`)
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-unsupported", 10*time.Second)
	link := evalString(b, `document.querySelector('[data-screen="unsupported"] [data-page-link]').value`)
	if want := s.base + "/s/" + sid; link != want {
		t.Errorf("link to copy = %q; want %q", link, want)
	}
	if on := evalString(b, `String(!!document.querySelector("video").srcObject)`); on != "false" {
		t.Errorf("the camera was started in a browser that cannot stream it")
	}
	shots(t, b, "unsupported")
	axeScan(t, b, "unsupported browser")
	noProblems(t, b)
}

func TestInAppBrowser(t *testing.T) {
	s := newStack(t, stackOptions{fake: iceOnly{}})
	sid, pageURL := s.session(map[string]any{"locale": "en"})
	// Instagram's Android WebView, which refuses the camera.
	ua := "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 Instagram 337.0.0.35.102 Android"
	b := openBrowser(t, deniedCamera, "", browsertest.Flag("user-agent", ua))
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-in-app", 10*time.Second)
	link := evalString(b, `document.querySelector('[data-screen="in-app"] [data-page-link]').value`)
	if want := s.base + "/s/" + sid; link != want {
		t.Errorf("link to copy = %q; want %q", link, want)
	}
	b.MustRun("copy the link",
		chromedp.Click(chromedp.CSS(id("screen-in-app")+" "+id("btn-copy"))),
		chromedp.Poll[chromedp.Void](`document.getElementById("live-region").textContent === "Link copied"`))
	shots(t, b, "in-app")
	axeScan(t, b, "in-app browser")
	noProblems(t, b)

	// The in-app screen gave the session up, so the real browser the user
	// pastes the link into claims it instead of seeing "in use".
	b.MustRun("release the claim",
		chromedp.Poll[chromedp.Void](`performance.getEntriesByType("resource").some(e => e.name.endsWith("/release") && e.responseStatus === 204)`))
	real := openBrowser(t, defaultCamera, "")
	real.MustRun("open the copied link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(id("screen-consent"))))
}

func TestConnectionFailedOffersRetry(t *testing.T) {
	live := &fullLive{}
	s := newStack(t, stackOptions{fake: live})
	_, pageURL := s.session(nil)
	b := openBrowser(t, defaultCamera, "")
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-connection-failed", 15*time.Second)
	if got := focusedScreen(t, b); got != "connection-failed" {
		t.Errorf("focus: %s", got)
	}
	shots(t, b, "connection-failed")
	axeScan(t, b, "connection failed")
	b.MustRun("retry", chromedp.Click(chromedp.CSS(id("screen-connection-failed")+" "+id("btn-reconnect"))))
	// The retry sends a second offer and lands on the same screen again.
	waitScreen(t, b, "screen-live", 5*time.Second)
	waitScreen(t, b, "screen-connection-failed", 15*time.Second)
	if n := live.offers.Load(); n != 2 {
		t.Errorf("offers = %d; want 2 (the first and the retry)", n)
	}
	noProblems(t, b, "status of 503")
}

// TestSessionsThatCannotBeUsed covers the server's own screens: a second
// browser, an expired session, both at the capture URL too.
func TestSessionsThatCannotBeUsed(t *testing.T) {
	s := newStack(t, stackOptions{fake: iceOnly{}})
	sid, pageURL := s.session(map[string]any{"expires_in_seconds": 60})

	// The first browser presses Start, which claims the session (opening
	// the link alone does not).
	if _, err := client.OpenPage(context.Background(), pageURL); err != nil {
		t.Fatalf("first browser: %v", err)
	}
	b := openBrowser(t, defaultCamera, "")
	b.MustRun("second browser", chromedp.Navigate(pageURL+"/capture"), chromedp.WaitVisible(chromedp.CSS(id("screen-in-use"))))
	shots(t, b, "in-use")
	axeScan(t, b, "in use")

	s.clock.Advance(61 * time.Second)
	b.MustRun("expired", chromedp.Navigate(s.base+"/s/"+sid), chromedp.WaitVisible(chromedp.CSS(id("screen-expired"))))
	shots(t, b, "expired")
	axeScan(t, b, "expired")
	noProblems(t, b, "status of 409", "status of 410")
}

func TestIndonesian(t *testing.T) {
	s := newStack(t, stackOptions{fake: iceOnly{}})
	_, pageURL := s.session(map[string]any{"locale": "id"})
	b := openBrowser(t, deniedCamera, "")
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-denied", 10*time.Second)
	if got := evalString(b, `document.documentElement.lang`); got != "id" {
		t.Errorf("lang = %q; want id", got)
	}
	if got := b.Text(id("screen-denied") + " h1"); got != "Akses kamera diblokir" {
		t.Errorf("denied title = %q; want the Indonesian one", got)
	}
	if got := b.Text(id("btn-cancel")); got == "Cancel and go back" {
		t.Errorf("the cancel button is in English")
	}
	shots(t, b, "denied-id")
	axeScan(t, b, "denied (id)")
	noProblems(t, b)
}
