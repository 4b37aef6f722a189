package demo_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/demo"
	"github.com/livegate/livegate/internal/demo/demotest"
	"github.com/livegate/livegate/internal/session/memstore"
)

// TestAPICallsKeepTheClientAddress: the demo's in-process API calls carry
// the visitor's peer and X-Forwarded-For, so that behind a trusted proxy
// the API's limits and audit see the visitor, not the proxy.
func TestAPICallsKeepTheClientAddress(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	store := memstore.New(memstore.WithClock(now), memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = store.Close() })
	fake := demotest.NewAPI(store, "dev-key", public, now)
	var seen []*http.Request
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r)
		fake.ServeHTTP(w, r)
	})
	h, err := demo.New(demo.Config{API: api, APIKey: "dev-key", PublicURL: public, CookieKeys: testKeys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, h: h, store: store}
	home, cookies := e.do(httptest.NewRequest(http.MethodGet, public+"/demo", nil), nil)
	p := e.create(cookies, token(t, home), map[string]string{"X-Forwarded-For": "203.0.113.9, 10.0.0.3"})
	if p.status != http.StatusOK && p.status != http.StatusSeeOther {
		t.Fatalf("create: got %d\n%s", p.status, p.body)
	}
	if len(seen) == 0 {
		t.Fatal("the demo made no API call")
	}
	for _, r := range seen {
		if got := r.Header.Get("X-Forwarded-For"); got != "203.0.113.9, 10.0.0.3" || r.RemoteAddr != "192.0.2.1:1234" {
			t.Errorf("API call %s %s: X-Forwarded-For %q, RemoteAddr %q; want the visitor's", r.Method, r.URL.Path, got, r.RemoteAddr)
		}
	}
}
