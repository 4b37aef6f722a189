package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// fakeSignaller records the signalling calls and answers with err or a fixed
// answer.
type fakeSignaller struct {
	mu      sync.Mutex
	offers  []web.OfferRequest
	hangups []string
	err     error
}

var (
	_ web.Live      = (*fakeSignaller)(nil)
	_ web.Signaller = (*fakeSignaller)(nil)
)

func (f *fakeSignaller) ICEServers(string) []web.ICEServer { return nil }

func (f *fakeSignaller) Offer(_ context.Context, r web.OfferRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offers = append(f.offers, r)
	if f.err != nil {
		return "", f.err
	}
	return "v=0\r\nanswer\r\n", nil
}

func (f *fakeSignaller) Hangup(_ context.Context, sid, digest string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hangups = append(f.hangups, sid)
	return f.err
}

type retryErr struct{ err *session.Error }

func (e retryErr) Error() string           { return e.err.Error() }
func (retryErr) RetryAfter() time.Duration { return 3 * time.Second }
func (e retryErr) Unwrap() error           { return e.err }

// signal sends a signalling request the way the capture page's fetch does.
func (b *browser) signal(method, path, token, body string, header map[string]string) *response {
	b.e.t.Helper()
	req := httptest.NewRequest(method, b.e.public+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/sdp")
	}
	req.Header.Set("X-CSRF-Token", token)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.e.public)
	req.Header.Set("User-Agent", "test-browser")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return b.do(req)
}

func wantAPIError(t *testing.T, name string, r *response, status int) {
	t.Helper()
	var body struct {
		Status       string `json:"status"`
		ErrorMessage string `json:"error_message"`
	}
	if r.StatusCode != status || json.Unmarshal([]byte(r.body), &body) != nil || body.Status != "failed" || body.ErrorMessage == "" ||
		r.Header.Get("Content-Type") != "application/json; charset=utf-8" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: got %d %s %q; want %d with {\"status\":\"failed\",\"error_message\":…}", name, r.StatusCode, r.Header.Get("Content-Type"), r.body, status)
	}
}

func TestOfferAnswersTheClaimingBrowser(t *testing.T) {
	live := &fakeSignaller{}
	e := newEnv(t, web.Config{Live: live})
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	_, token := a.get("/s/" + s.ID).cancelForm(t)
	r := a.signal("POST", "/s/"+s.ID+"/offer", token, "v=0\r\noffer\r\n", nil)
	if r.StatusCode != http.StatusCreated || r.Header.Get("Content-Type") != "application/sdp" ||
		r.Header.Get("Location") != "/s/"+s.ID+"/offer" || r.body != "v=0\r\nanswer\r\n" {
		t.Fatalf("offer: got %d %v %q; want 201 with the SDP answer", r.StatusCode, r.Header, r.body)
	}
	if len(live.offers) != 1 {
		t.Fatalf("Live.Offer called %d times; want 1", len(live.offers))
	}
	got := live.offers[0]
	if got.SID != s.ID || got.SDP != "v=0\r\noffer\r\n" || got.BrowserDigest != e.get(s.ID).ClaimedBy || got.UserAgent != "test-browser" || got.ClientIP == "" {
		t.Errorf("offer request %+v; want the session, SDP, the claimant's digest, user agent and IP", got)
	}
	if r := a.signal("DELETE", "/s/"+s.ID+"/offer", token, "", nil); r.StatusCode != http.StatusNoContent || len(live.hangups) != 1 {
		t.Errorf("hang-up: got %d, %d calls; want 204, 1", r.StatusCode, len(live.hangups))
	}
}

func TestOfferRefusals(t *testing.T) {
	live := &fakeSignaller{}
	e := newEnv(t, web.Config{Live: live})
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	_, token := a.get("/s/" + s.ID).cancelForm(t)
	b := e.browser()
	b.get("/s/" + s.ID) // in use for b
	tokenB := csrfToken(t, b)
	unclaimed := e.create(session.Params{CancelURL: cancelURL})
	finished := e.create(session.Params{CancelURL: cancelURL})
	a.get("/s/" + finished.ID)
	e.store.Update(context.Background(), finished.ID, func(x *session.Session) error {
		return x.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch}, e.clock.Now())
	})
	canceled := e.create(session.Params{CancelURL: cancelURL})
	a.get("/s/" + canceled.ID)
	e.store.Update(context.Background(), canceled.ID, func(x *session.Session) error { return x.Cancel(e.clock.Now()) })
	expiring := e.create(session.Params{CancelURL: cancelURL, ExpiresIn: time.Minute})
	a.get("/s/" + expiring.ID)

	sdp := "v=0\r\n"
	offer := "/s/" + s.ID + "/offer"
	tests := []struct {
		name   string
		from   *browser
		path   string
		token  string
		body   string
		header map[string]string
		status int
	}{
		{"unknown session", a, "/s/" + session.NewID() + "/offer", token, sdp, nil, http.StatusNotFound},
		{"bad sid", a, "/s/nope/offer", token, sdp, nil, http.StatusNotFound},
		{"no token", a, offer, "", sdp, nil, http.StatusForbidden},
		{"wrong token", a, offer, token[:len(token)-2] + "xx", sdp, nil, http.StatusForbidden},
		{"another browser's token", a, offer, tokenB, sdp, nil, http.StatusForbidden},
		{"no cookie", e.browser(), offer, token, sdp, nil, http.StatusForbidden},
		{"cross-site", a, offer, token, sdp, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"unclaimed", a, "/s/" + unclaimed.ID + "/offer", token, sdp, nil, http.StatusForbidden},
		{"claimed by another browser", b, offer, tokenB, sdp, nil, http.StatusConflict},
		{"finished", a, "/s/" + finished.ID + "/offer", token, sdp, nil, http.StatusConflict},
		{"canceled", a, "/s/" + canceled.ID + "/offer", token, sdp, nil, http.StatusConflict},
		{"not SDP", a, offer, token, sdp, map[string]string{"Content-Type": "application/json"}, http.StatusBadRequest},
		{"oversized", a, offer, token, strings.Repeat("a=x\r\n", web.MaxOfferBytes/5+1), nil, http.StatusBadRequest},
	}
	for _, tc := range tests {
		r := tc.from.signal("POST", tc.path, tc.token, tc.body, tc.header)
		wantAPIError(t, tc.name, r, tc.status)
	}
	if len(live.offers) != 0 {
		t.Errorf("Live.Offer called %d times for refused requests; want 0", len(live.offers))
	}
	e.clock.Add(2 * time.Minute)
	wantAPIError(t, "expired", a.signal("POST", "/s/"+expiring.ID+"/offer", token, sdp, nil), http.StatusGone)

	// The live capture's own refusals keep their status.
	for _, tc := range []struct {
		err    error
		status int
	}{
		{&session.Error{Code: session.EInvalid, Message: "SDP offer has no video to receive"}, http.StatusBadRequest},
		{session.ErrNoAttemptsLeft, http.StatusConflict},
		{session.ErrExpired, http.StatusGone},
	} {
		live.err = tc.err
		wantAPIError(t, tc.err.Error(), a.signal("POST", offer, token, sdp, nil), tc.status)
	}
	live.err = retryErr{&session.Error{Code: session.EUnavailable, Message: "too many live connections; retry later"}}
	r := a.signal("POST", offer, token, sdp, nil)
	wantAPIError(t, "full", r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") != "3" {
		t.Errorf("full: Retry-After %q; want 3", r.Header.Get("Retry-After"))
	}
}

func TestOfferRoutesNeedASignaller(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	_, token := a.get("/s/" + s.ID).cancelForm(t)
	if r := a.signal("POST", "/s/"+s.ID+"/offer", token, "v=0\r\n", nil); r.StatusCode == http.StatusCreated {
		t.Errorf("offer without a live capture: got %d", r.StatusCode)
	}
}
