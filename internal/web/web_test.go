package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

const (
	cancelURL = "https://shop.example/back?order=42&note=a%20b#top"
	cspSelf   = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"media-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	cspShop = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"media-src 'self' blob:; base-uri 'none'; form-action 'self' https://shop.example; frame-ancestors 'none'"
)

// TestConsentDoesNotClaimStartDoes: a GET of the page never claims the
// session (link previews and mail scanners fetch links too: Slackbot,
// WhatsApp, facebookexternalhit, SafeLinks); the consent screen's Start, a
// POST with the browser's token, does.
func TestConsentDoesNotClaimStartDoes(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})

	for _, ua := range []string{"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "WhatsApp/2.23.20.0", "facebookexternalhit/1.1"} {
		bot := e.browser()
		req := httptest.NewRequest(http.MethodGet, e.public+"/s/"+s.ID, nil)
		req.Header.Set("User-Agent", ua)
		bot.do(req).wantScreen(t, http.StatusOK, "screen-consent")
		bot.get("/s/"+s.ID+"/capture").wantScreen(t, http.StatusSeeOther, "")
	}
	if got := e.get(s.ID).ClaimedBy; got != "" {
		t.Fatalf("after link previews ClaimedBy = %q; want unclaimed", got)
	}

	a := e.browser()
	r := a.get("/s/" + s.ID)
	r.wantScreen(t, http.StatusOK, "screen-consent")
	start := r.testID("btn-start")
	if start == nil || start.Parent == nil || attr(start.Parent, "method") != "post" || attr(start.Parent, "action") != "/s/"+s.ID+"/capture" {
		t.Fatalf("btn-start = %v; want the submit button of a POST form to the capture step", start)
	}
	if got := e.get(s.ID).ClaimedBy; got != "" {
		t.Fatalf("after the consent screen ClaimedBy = %q; want unclaimed", got)
	}
	// Start without the token is refused and claims nothing.
	a.post("/s/"+s.ID+"/capture", url.Values{"csrf_token": {"forged"}}, nil).wantScreen(t, http.StatusForbidden, "screen-forbidden")
	if got := e.get(s.ID).ClaimedBy; got != "" {
		t.Fatalf("after a forged Start ClaimedBy = %q; want unclaimed", got)
	}

	a.start(s.ID).wantScreen(t, http.StatusOK, "screen-capture-unavailable")
	got := e.get(s.ID)
	if !strings.HasPrefix(got.ClaimedBy, "sha256:") || len(got.ClaimedBy) != len("sha256:")+64 {
		t.Fatalf("ClaimedBy = %q; want a sha256 digest", got.ClaimedBy)
	}
	if !got.ClaimedAt.Equal(e.clock.Now()) {
		t.Errorf("ClaimedAt = %v; want %v", got.ClaimedAt, e.clock.Now())
	}
	for _, c := range a.cookies {
		if strings.Contains(c.Value, strings.TrimPrefix(got.ClaimedBy, "sha256:")) {
			t.Errorf("the cookie carries the stored digest")
		}
	}
	if r.testID("btn-cancel") == nil {
		t.Error("no btn-cancel although cancel_url is set")
	}
	if r.testID("live-region") == nil || attr(r.testID("live-region"), "aria-live") != "polite" {
		t.Error("no polite ARIA live region")
	}
	for _, id := range []string{"consent-retention", "consent-privacy"} {
		if r.testID(id) == nil || text(r.testID(id)) == "" {
			t.Errorf("consent screen lacks %s", id)
		}
	}
	if want := "7 days"; !strings.Contains(text(r.testID("consent-retention")), want) {
		t.Errorf("retention line %q does not say %q", text(r.testID("consent-retention")), want)
	}

	// The same browser may come back, and the claim does not move.
	a.get("/s/"+s.ID).wantScreen(t, http.StatusOK, "screen-consent")
	a.start(s.ID).wantScreen(t, http.StatusOK, "screen-capture-unavailable")
	if again := e.get(s.ID); again.ClaimedBy != got.ClaimedBy {
		t.Errorf("ClaimedBy changed from %q to %q", got.ClaimedBy, again.ClaimedBy)
	}
	audit, err := e.store.Audit(context.Background(), s.ID)
	if err != nil || len(audit) != 2 || audit[0].Event != "claimed" || audit[1].Event != "consent" {
		t.Errorf("audit = %+v, %v; want claimed then consent", audit, err)
	}
}

func TestSecondBrowserSeesInUse(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})
	e.browser().start(s.ID)
	claim := e.get(s.ID).ClaimedBy

	b := e.browser()
	b.get("/s/"+s.ID).wantScreen(t, http.StatusConflict, "screen-in-use")
	b.get("/s/"+s.ID+"/capture").wantScreen(t, http.StatusConflict, "screen-in-use")
	b.start(s.ID).wantScreen(t, http.StatusConflict, "screen-in-use")
	if got := e.get(s.ID).ClaimedBy; got != claim {
		t.Errorf("ClaimedBy = %q; want the first browser's %q", got, claim)
	}
}

// TestLapsedClaimIsTakenOver: a browser that pressed Start and went away
// (no live connection renews its claim) holds the session for
// session.ClaimLease only; then a second browser sees the consent screen,
// and its Start takes the session over, with the attempts already used
// still used and claim_lapsed in the audit.
func TestLapsedClaimIsTakenOver(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	a.start(s.ID)
	first := e.get(s.ID).ClaimedBy
	if _, err := e.store.Update(context.Background(), s.ID, func(s *session.Session) error {
		_, err := s.StartAttempt(e.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}

	b := e.browser()
	e.clock.Add(session.ClaimLease - time.Second)
	b.get("/s/"+s.ID).wantScreen(t, http.StatusConflict, "screen-in-use")
	b.start(s.ID).wantScreen(t, http.StatusConflict, "screen-in-use")

	e.clock.Add(time.Second)
	b.get("/s/"+s.ID).wantScreen(t, http.StatusOK, "screen-consent")
	b.get("/s/"+s.ID+"/capture").wantScreen(t, http.StatusSeeOther, "")
	b.start(s.ID).wantScreen(t, http.StatusOK, "screen-capture-unavailable")
	got := e.get(s.ID)
	if got.ClaimedBy == first || got.ClaimedBy == "" || !got.ClaimedAt.Equal(e.clock.Now()) {
		t.Fatalf("after the takeover ClaimedBy = %q at %v; want the second browser's claim at %v", got.ClaimedBy, got.ClaimedAt, e.clock.Now())
	}
	if got.AttemptsUsed != 1 {
		t.Errorf("AttemptsUsed = %d after the takeover; want 1 (a lapsed claim refunds nothing)", got.AttemptsUsed)
	}
	// Now the first browser is the other device.
	a.get("/s/"+s.ID).wantScreen(t, http.StatusConflict, "screen-in-use")
	a.start(s.ID).wantScreen(t, http.StatusConflict, "screen-in-use")

	audit, err := e.store.Audit(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, x := range audit {
		events = append(events, x.Event)
	}
	if want := "claimed consent claim_lapsed claimed"; strings.Join(events, " ") != want {
		t.Errorf("audit events = %q; want %q", strings.Join(events, " "), want)
	}
}

func TestConsentWithoutCancelURLHasNoCancelButton(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{})
	r := e.browser().get("/s/" + s.ID)
	r.wantScreen(t, http.StatusOK, "screen-consent")
	if r.testID("btn-cancel") != nil {
		t.Error("btn-cancel shown without a cancel_url")
	}
	if got := r.Header.Get("Content-Security-Policy"); got != cspSelf {
		t.Errorf("CSP = %q; want %q", got, cspSelf)
	}
}

func TestStartLeadsToCaptureUnavailable(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	r := a.start(s.ID)
	r.wantScreen(t, http.StatusOK, "screen-capture-unavailable")
	if r.testID("btn-cancel") == nil {
		t.Error("the capture-unavailable screen offers no way back")
	}
	if got := e.get(s.ID).Status; got != session.StatusPending {
		t.Errorf("status = %s; want PENDING (nothing was attempted)", got)
	}
	// The way back works from there.
	action, token := r.cancelForm(t)
	if res := a.post(action, url.Values{"csrf_token": {token}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel from the capture screen: %d\n%s", res.StatusCode, res.body)
	}
}

func TestCancelRedirectKeepsQueryAndFragment(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	page := a.get("/s/" + s.ID)
	if got := page.Header.Get("Content-Security-Policy"); got != cspShop {
		t.Errorf("CSP = %q; want %q (the 303 to cancel_url follows a form post)", got, cspShop)
	}
	action, token := page.cancelForm(t)
	if action != "/s/"+s.ID+"/cancel" {
		t.Errorf("form action = %q", action)
	}

	r := a.post(action, url.Values{"csrf_token": {token}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("status = %d; want 303\n%s", r.StatusCode, r.body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if loc.Scheme != "https" || loc.Host != "shop.example" || loc.Path != "/back" ||
		q.Get("order") != "42" || q.Get("note") != "a b" || q.Get("sid") != s.ID || loc.Fragment != "top" {
		t.Errorf("Location = %s; want cancel_url with its query, its fragment and sid=%s", loc, s.ID)
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	got := e.get(s.ID)
	if got.Status != session.StatusCanceled || !got.EndedAt.Equal(e.clock.Now()) {
		t.Errorf("session = %s ended %v; want CANCELED now", got.Status, got.EndedAt)
	}

	// A second tap lands in the same place; the page now says canceled.
	if again := a.post(action, url.Values{"csrf_token": {token}}, nil); again.StatusCode != http.StatusSeeOther ||
		again.Header.Get("Location") != r.Header.Get("Location") {
		t.Errorf("second cancel: %d %q", again.StatusCode, again.Header.Get("Location"))
	}
	canceled := a.get("/s/" + s.ID)
	canceled.wantScreen(t, http.StatusGone, "screen-canceled")
	if back := canceled.testID("btn-back"); back == nil || attr(back, "href") != r.Header.Get("Location") {
		t.Errorf("btn-back = %v; want a link to %s", back, r.Header.Get("Location"))
	}
}

func TestCancelWithoutCancelURLShowsCanceled(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{})
	a := e.browser()
	a.get("/s/" + s.ID)
	tok := csrfToken(t, a)
	r := a.post("/s/"+s.ID+"/cancel", url.Values{"csrf_token": {tok}}, nil)
	r.wantScreen(t, http.StatusOK, "screen-canceled")
	if r.testID("btn-back") != nil {
		t.Error("btn-back shown without a cancel_url")
	}
	if got := e.get(s.ID).Status; got != session.StatusCanceled {
		t.Errorf("status = %s; want CANCELED", got)
	}
}

// csrfToken reads the browser's synchronizer token from the cancel form of
// another session's page: the token belongs to the browser, not to a
// session, and a page without cancel_url has no form to read it from.
func csrfToken(t *testing.T, b *browser) string {
	t.Helper()
	other := b.e.create(session.Params{CancelURL: cancelURL})
	_, tok := b.start(other.ID).cancelForm(t)
	return tok
}

func TestCancelIsProtected(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	action, token := a.start(s.ID).cancelForm(t)
	b := e.browser()
	b.get("/s/" + s.ID) // in use: b has a cookie and a token of its own
	_, tokenB := b.get("/s/" + e.create(session.Params{CancelURL: cancelURL}).ID).cancelForm(t)

	tests := []struct {
		name   string
		from   *browser
		form   url.Values
		header map[string]string
		status int
		screen string
	}{
		{"no token", a, url.Values{}, nil, http.StatusForbidden, "screen-forbidden"},
		{"wrong token", a, url.Values{"csrf_token": {token[:len(token)-2] + "xx"}}, nil, http.StatusForbidden, "screen-forbidden"},
		{"another browser's token", a, url.Values{"csrf_token": {tokenB}}, nil, http.StatusForbidden, "screen-forbidden"},
		{"no cookie", e.browser(), url.Values{"csrf_token": {token}}, nil, http.StatusForbidden, "screen-forbidden"},
		{"cross-site by Sec-Fetch-Site", a, url.Values{"csrf_token": {token}},
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden, "screen-forbidden"},
		{"cross-origin by Origin", a, url.Values{"csrf_token": {token}},
			map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}, http.StatusForbidden, "screen-forbidden"},
		{"another browser", b, url.Values{"csrf_token": {tokenB}}, nil, http.StatusConflict, "screen-in-use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.from.post(action, tc.form, tc.header)
			r.wantScreen(t, tc.status, tc.screen)
			if got := e.get(s.ID); got.Status != session.StatusPending {
				t.Errorf("status = %s; want PENDING", got.Status)
			}
		})
	}

	// The consent screen does not claim, and its Cancel works before
	// Start: a browser with a token (it opened a page) and the sid may
	// cancel an unclaimed session, as opening the sid's page lets anyone.
	fresh := e.create(session.Params{CancelURL: cancelURL})
	if r := a.post("/s/"+fresh.ID+"/cancel", url.Values{"csrf_token": {token}}, nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("cancel of an unclaimed session: got %d; want 303 to cancel_url", r.StatusCode)
	}
	// And the real one still works.
	if r := a.post(action, url.Values{"csrf_token": {token}}, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid cancel: %d\n%s", r.StatusCode, r.body)
	}
}

func TestStateScreens(t *testing.T) {
	e := newEnv(t, web.Config{})
	ctx := context.Background()

	expired := e.create(session.Params{ExpiresIn: time.Minute})
	finished := e.create(session.Params{SuccessURL: "https://shop.example/done?order=42#x"})
	canceled := e.create(session.Params{})
	for _, id := range []string{finished.ID, canceled.ID} {
		e.browser().get("/s/" + id)
	}
	if _, err := e.store.Update(ctx, finished.ID, func(s *session.Session) error {
		return s.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch}, e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Update(ctx, canceled.ID, func(s *session.Session) error { return s.Cancel(e.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Minute)

	tests := []struct {
		path   string
		status int
		screen string
	}{
		{"/s/" + expired.ID, http.StatusGone, "screen-expired"},
		{"/s/" + expired.ID + "/capture", http.StatusGone, "screen-expired"},
		{"/s/" + finished.ID, http.StatusOK, "screen-finished"},
		{"/s/" + canceled.ID, http.StatusGone, "screen-canceled"},
		{"/s/" + session.NewID(), http.StatusNotFound, "screen-not-found"},
		{"/s/not-a-session-id", http.StatusNotFound, "screen-not-found"},
		{"/s/" + expired.ID + "/nope", http.StatusNotFound, "screen-not-found"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := e.browser().get(tc.path)
			r.wantScreen(t, tc.status, tc.screen)
			if r.testID("btn-start") != nil || r.testID("btn-cancel") != nil {
				t.Error("a final screen offers Start or Cancel")
			}
		})
	}

	r := e.browser().get("/s/" + finished.ID)
	cont := r.testID("btn-continue")
	if cont == nil {
		t.Fatal("finished screen has no btn-continue")
	}
	want, _ := e.get(finished.ID).SuccessRedirect()
	if got := attr(cont, "href"); got != want {
		t.Errorf("btn-continue href = %q; want %q", got, want)
	}
	u, _ := url.Parse(attr(cont, "href"))
	if u.Query().Get("order") != "42" || u.Query().Get("sid") != finished.ID || u.Fragment != "x" {
		t.Errorf("continue link %s lost the query, the fragment or the sid", u)
	}
	if got := e.get(expired.ID).ClaimedBy; got != "" {
		t.Errorf("an expired session was claimed by %q", got)
	}
}

func TestCancelAfterExpiryShowsExpired(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: cancelURL, ExpiresIn: time.Minute})
	a := e.browser()
	action, token := a.start(s.ID).cancelForm(t)
	e.clock.Add(time.Minute)
	a.post(action, url.Values{"csrf_token": {token}}, nil).wantScreen(t, http.StatusGone, "screen-expired")
}

func TestLocale(t *testing.T) {
	e := newEnv(t, web.Config{})
	tests := []struct {
		name, locale, accept, want string
	}{
		{"session locale wins", "id", "en-US,en;q=0.9", "id"},
		{"session locale en over browser id", "en", "id-ID,id", "en"},
		{"Accept-Language", "", "id-ID,id;q=0.9,en;q=0.8", "id"},
		{"Accept-Language by quality", "", "en;q=0.4, id;q=0.8", "id"},
		{"legacy code in", "", "in-ID", "id"},
		{"unknown language", "", "fr-FR,de;q=0.5", "en"},
		{"nothing", "", "", "en"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := e.create(session.Params{Locale: tc.locale})
			b := e.browser()
			b.lang = tc.accept
			r := b.get("/s/" + s.ID)
			r.wantScreen(t, http.StatusOK, "screen-consent")
			if got := attr(findHTML(r), "lang"); got != tc.want {
				t.Errorf("lang = %q; want %q", got, tc.want)
			}
			title := text(findAll(r.doc, isH1)[0])
			wantTitle := map[string]string{"en": "Let’s confirm it’s really you", "id": "Mari pastikan ini benar-benar Anda"}[tc.want]
			if title != wantTitle {
				t.Errorf("h1 = %q; want %q", title, wantTitle)
			}
		})
	}

	b := e.browser()
	b.lang = "id"
	r := b.get("/s/" + session.NewID())
	r.wantScreen(t, http.StatusNotFound, "screen-not-found")
	if got := text(findAll(r.doc, isH1)[0]); got != "Verifikasi ini tidak ditemukan" {
		t.Errorf("not-found h1 = %q; want the Indonesian one", got)
	}
}

func TestPassiveConsentAsksForOnePicture(t *testing.T) {
	e := newEnv(t, web.Config{})
	s, err := session.New(session.Params{Kind: session.KindPassive, SuccessURL: "https://shop.example/done"}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	r := e.browser().get("/s/" + s.ID)
	r.wantScreen(t, http.StatusOK, "screen-consent")
	if !strings.Contains(r.body, "one picture") || strings.Contains(r.body, "turning your head") {
		t.Errorf("passive consent does not describe one picture:\n%s", text(r.testID("screen-consent")))
	}
}

func TestRouterResponsesCarryHeaders(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{})
	r := e.browser().post("/s/"+s.ID, url.Values{}, nil) // no POST route
	if r.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /s/{sid} = %d; want 405", r.StatusCode)
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": cspSelf, "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
}

func TestHeadDoesNotClaim(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{})
	r := e.browser().do(httptest.NewRequest(http.MethodHead, e.public+"/s/"+s.ID, nil))
	if r.StatusCode != http.StatusOK || len(r.Cookies()) != 0 {
		t.Errorf("HEAD = %d with cookies %v; want 200 and none", r.StatusCode, r.Cookies())
	}
	if got := e.get(s.ID).ClaimedBy; got != "" {
		t.Errorf("HEAD claimed the session for %q", got)
	}
	e.browser().get("/s/"+s.ID).wantScreen(t, http.StatusOK, "screen-consent")
}

// A cancel_url whose origin cannot go in form-action (a non-ASCII host) gets
// the canceled screen with a link, not a 303 that Chromium would block.
func TestCancelToUnicodeHostShowsLink(t *testing.T) {
	e := newEnv(t, web.Config{})
	s := e.create(session.Params{CancelURL: "https://bücher.example/zurück"})
	a := e.browser()
	page := a.get("/s/" + s.ID)
	if got := page.Header.Get("Content-Security-Policy"); got != cspSelf {
		t.Errorf("CSP = %q; want %q", got, cspSelf)
	}
	action, token := page.cancelForm(t)
	r := a.post(action, url.Values{"csrf_token": {token}}, nil)
	r.wantScreen(t, http.StatusOK, "screen-canceled")
	want, _ := e.get(s.ID).CancelRedirect()
	if back := r.testID("btn-back"); back == nil || attr(back, "href") != want {
		t.Errorf("btn-back = %v; want a link to %s", back, want)
	}
}
