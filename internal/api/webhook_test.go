package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
	"github.com/livegate/livegate/internal/webhook"
)

// dns resolves internal.example to a private address and every other name
// to a public one.
type dns struct{}

func (dns) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host == "internal.example" {
		return []netip.Addr{netip.MustParseAddr("10.0.0.7")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
}

// testWebhooks is the fixture's webhook check: the server's own, with a
// fake DNS and a secret for key A and key B only.
func testWebhooks() api.WebhookChecker {
	g, _ := webhook.ParseAllow("")
	g.Resolver = dns{}
	secret := "whsec_0123456789abcdef0123456789abcdef"
	return webhook.Checker{Guard: g, Secrets: &webhook.Secrets{PerKey: map[string][]string{
		api.Key{Secret: keyA}.ID(): {secret},
		api.Key{Secret: keyB}.ID(): {secret},
	}}}
}

// TestWebhookUnavailable: without a secret to sign with, a webhook_url is
// refused with 503 in the error format, never stored to go unsigned.
func TestWebhookUnavailable(t *testing.T) {
	body := `{"success_url":"https://a.example/","webhook_url":"https://hooks.example/x"}`
	f := newFixture(t, nil)
	r := f.do("POST", sessions, keyBasic, body, func(r *http.Request) { r.SetBasicAuth("user", "pass") })
	if r.code != 503 || r.obj["status"] != "failed" || !strings.Contains(r.obj["error_message"].(string), "no webhook secret") {
		t.Errorf("key without a secret: got %d %s; want 503 naming the missing secret", r.code, r.body)
	}
	st := memstore.New(memstore.WithClock(sessiontest.NewClock(sessiontest.Start).Now))
	defer st.Close()
	h, err := api.New(api.Config{Store: st, Keys: []api.Key{{Secret: keyA}}, PublicURL: public})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", sessions, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", keyA)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 503 || st.Len() != 0 {
		t.Errorf("no webhook checker: got %d %s with %d sessions stored; want 503 and none", rec.Code, rec.Body, st.Len())
	}
}

// TestSessionJSON: a webhook's body is exactly what GET of the session
// answers.
func TestSessionJSON(t *testing.T) {
	f := newFixture(t, nil)
	c := f.create(keyA, `{"success_url":"https://a.example/","webhook_url":"https://hooks.example/x"}`)
	sid := c.obj["sid"].(string)
	get := f.do("GET", sessions+"/"+sid, keyA, "")
	s, err := f.store.Get(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Store: f.store, Keys: []api.Key{{Secret: keyA}}, PublicURL: public, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.SessionJSON(s, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(get.obj)
	if string(gb) != string(wb) {
		t.Errorf("SessionJSON:\n%s\nGET:\n%s", gb, wb)
	}
}
