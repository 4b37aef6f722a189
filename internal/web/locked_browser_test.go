package web_test

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/browsertest"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/web"
)

// TestBrowserLockedAddress drives Chromium: a person whose address is
// locked out after the consent page loaded presses Start and lands on the
// plain "too many attempts" screen (429) instead of the camera, in the
// session's language; the live capture never hears of it.
func TestBrowserLockedAddress(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://127.0.0.1:" + strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	store := memstore.New(memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = store.Close() })
	attempts := memstore.NewLockout(attemptsPolicy)
	live := &fakeSignaller{}
	pages, err := web.New(web.Config{
		Store: store, Logger: slog.New(slog.DiscardHandler), CookieKeys: testKeys, PublicURL: base,
		Live: live, Limits: web.Limits{Attempts: attempts},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = pages
	srv.Start()
	t.Cleanup(srv.Close)

	newSession := func(locale string) *session.Session {
		s, err := session.New(session.Params{Kind: session.KindActive, Owner: "k", SuccessURL: "https://shop.example/done",
			Gestures: []string{"HEAD_LEFT"}, Locale: locale}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Create(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	en, id := newSession("en"), newSession("id")

	b := browsertest.New(t,
		browsertest.Flag("use-fake-ui-for-media-stream", true),
		browsertest.Flag("use-fake-device-for-media-stream", true))
	tid := browsertest.TestID
	b.MustRun("open the consent page", chromedp.Navigate(base+"/s/"+en.ID), chromedp.WaitVisible(tid("btn-start")))

	for range attemptsPolicy.Failures {
		if _, err := attempts.Fail(context.Background(), session.IPLockoutKey("127.0.0.1")); err != nil {
			t.Fatal(err)
		}
	}
	b.MustRun("press Start", chromedp.Click(tid("btn-start")), chromedp.WaitVisible(tid("screen-locked")))
	if got := b.Text("h1"); got != "Too many attempts" {
		t.Errorf("title: got %q; want Too many attempts", got)
	}
	if len(live.offers) != 0 {
		t.Errorf("the live capture got %d offers from a locked address; want 0", len(live.offers))
	}

	b.MustRun("open the Indonesian session", chromedp.Navigate(base+"/s/"+id.ID), chromedp.WaitVisible(tid("screen-locked")))
	if got := b.Text("h1"); got != "Terlalu banyak percobaan" {
		t.Errorf("Indonesian title: got %q", got)
	}
	// The only console problems are Chromium's notes of the two 429s.
	for _, p := range b.Problems() {
		if !strings.Contains(p, "status of 429") {
			t.Errorf("console problem: %s", p)
		}
	}
}

// lockingSignaller locks the client's address as its first offer arrives
// and refuses it as the pages' lock check would have: the lock raced the
// offer.
type lockingSignaller struct {
	fakeSignaller
	lockout session.Lockout
}

func (l *lockingSignaller) Offer(ctx context.Context, r web.OfferRequest) (string, error) {
	_, _ = l.fakeSignaller.Offer(ctx, r)
	var left time.Duration
	for range attemptsPolicy.Failures {
		left, _ = l.lockout.Fail(ctx, session.IPLockoutKey(r.ClientIP))
	}
	return "", session.Limited(session.ERateLimited, session.ReasonIPLocked, "too many failed liveness attempts from this address", left)
}

// TestBrowserOfferRefusedAsLocked: an offer answered 429 makes the capture
// page reload once, and the server's page then says "too many attempts".
func TestBrowserOfferRefusedAsLocked(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://127.0.0.1:" + strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	store := memstore.New(memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = store.Close() })
	attempts := memstore.NewLockout(attemptsPolicy)
	live := &lockingSignaller{lockout: attempts}
	pages, err := web.New(web.Config{
		Store: store, Logger: slog.New(slog.DiscardHandler), CookieKeys: testKeys, PublicURL: base,
		Live: live, Limits: web.Limits{Attempts: attempts},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = pages
	srv.Start()
	t.Cleanup(srv.Close)
	s, err := session.New(session.Params{Kind: session.KindActive, Owner: "k", SuccessURL: "https://shop.example/done",
		Gestures: []string{"HEAD_LEFT"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}

	b := browsertest.New(t,
		browsertest.Flag("use-fake-ui-for-media-stream", true),
		browsertest.Flag("use-fake-device-for-media-stream", true))
	tid := browsertest.TestID
	b.MustRun("open the page and press Start", chromedp.Navigate(base+"/s/"+s.ID), chromedp.WaitVisible(tid("btn-start")),
		chromedp.Click(tid("btn-start")))
	if err := b.Run(20*time.Second, chromedp.WaitVisible(tid("screen-locked"))); err != nil {
		t.Fatalf("no locked screen after the refused offer (%v); at %s", err, b.Location())
	}
	if got := b.Text("h1"); got != "Too many attempts" {
		t.Errorf("title: got %q", got)
	}
	live.mu.Lock()
	n := len(live.offers)
	live.mu.Unlock()
	if n != 1 {
		t.Errorf("offers: got %d; want 1 (the reloaded page is locked before any offer)", n)
	}
}
