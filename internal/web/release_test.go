package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// The in-app browser's way out: it releases its claim, and the real
// browser the user copies the link into claims the session instead of
// seeing "in use on another device".
func TestReleaseLetsAnotherBrowserClaim(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})
	inApp, real := e.browser(), e.browser()
	_, token := inApp.start(s.ID).cancelForm(t)

	wantAPIError(t, "release without token", inApp.signal("POST", "/s/"+s.ID+"/release", "", "", nil), http.StatusForbidden)
	wantAPIError(t, "release cross-site", inApp.signal("POST", "/s/"+s.ID+"/release", token,
		"", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}), http.StatusForbidden)
	real.get("/s/"+s.ID).wantScreen(t, http.StatusConflict, "screen-in-use")
	wantAPIError(t, "release by a browser that does not hold it", real.signal("POST", "/s/"+s.ID+"/release", csrfToken(t, real), "", nil), http.StatusConflict)

	if r := inApp.signal("POST", "/s/"+s.ID+"/release", token, "", nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("release: got %d %s; want 204", r.StatusCode, r.body)
	}
	if got := e.get(s.ID).ClaimedBy; got != "" {
		t.Fatalf("after release the session is still claimed by %q", got)
	}
	real.start(s.ID)
	if got := e.get(s.ID).ClaimedBy; got == "" {
		t.Errorf("the real browser did not claim the released session")
	}
	entries, _ := e.store.Audit(context.Background(), s.ID)
	var released bool
	for _, a := range entries {
		released = released || a.Event == "released"
	}
	if !released {
		t.Errorf("no \"released\" audit entry in %+v", entries)
	}
}

func TestReleaseRefusedOnceTheCheckHasStarted(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	_, token := a.start(s.ID).cancelForm(t)
	if _, err := e.store.Update(context.Background(), s.ID, func(x *session.Session) error {
		_, err := x.StartAttempt(e.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "release after an attempt", a.signal("POST", "/s/"+s.ID+"/release", token, "", nil), http.StatusConflict)
	if e.get(s.ID).ClaimedBy == "" {
		t.Errorf("a started check was released")
	}
}
