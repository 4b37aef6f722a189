package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// fakeLive is the live capture service as far as the capture screen sees
// it. The embedded interface stands in for the signalling methods, which
// these tests never call.
type fakeLive struct {
	web.Live
	ice []web.ICEServer
}

func (f fakeLive) ICEServers(string) []web.ICEServer { return f.ice }

func TestCaptureScreenCarriesTheProtocolAttributes(t *testing.T) {
	turn := web.ICEServer{URLs: []string{"turn:turn.example:3478"}, Username: "u", Credential: "c&\"<"}
	e := newEnv(t, web.Config{Live: fakeLive{ice: []web.ICEServer{turn}}})
	s := e.create(session.Params{CancelURL: cancelURL, Gestures: []string{"HEAD_LEFT", "HEAD_00"}, MaxAttempts: 4})
	a := e.browser()
	a.get("/s/" + s.ID)
	r := a.start(s.ID)
	r.wantScreen(t, http.StatusOK, "screen-capture")
	root := r.testID("screen-capture")
	want := map[string]string{
		"data-offer-url":     "/s/" + s.ID + "/offer",
		"data-max-attempts":  "4",
		"data-attempts-left": "4",
		"data-page-url":      "/s/" + s.ID,
	}
	for k, v := range want {
		if got := attr(root, k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
	// The page learns each gesture only when the server asks it (issue
	// 16): a page that knew them all could play them at once.
	if got := attr(root, "data-gestures"); got != "" {
		t.Errorf("data-gestures = %q; want none", got)
	}
	var ice []web.ICEServer
	if err := json.Unmarshal([]byte(attr(root, "data-ice-servers")), &ice); err != nil || len(ice) != 1 || ice[0].Credential != turn.Credential {
		t.Errorf("data-ice-servers = %q (%v); want the configured TURN server", attr(root, "data-ice-servers"), err)
	}
	_, token := r.cancelForm(t)
	if got := attr(root, "data-csrf-token"); got == "" || got != token {
		t.Errorf("data-csrf-token = %q; want the cancel form's token %q", got, token)
	}
	if got := r.Header.Get("Content-Security-Policy"); got != cspShop {
		t.Errorf("CSP = %q; want %q", got, cspShop)
	}

	// The preview is a muted, inline, mirrored video; the page loads its
	// script from a hashed static URL and has no inline script.
	video := r.testID("preview")
	for _, a := range []string{"muted", "playsinline", "autoplay"} {
		if video == nil || !hasAttr(video, a) {
			t.Errorf("preview video lacks %s", a)
		}
	}
	var scripts []string
	for _, n := range findAll(r.doc, func(n *html.Node) bool { return n.Data == "script" }) {
		if attr(n, "src") == "" {
			t.Errorf("inline script: %s", text(n))
		}
		scripts = append(scripts, attr(n, "src"))
	}
	if len(scripts) != 2 || !strings.HasPrefix(scripts[1], "/static/capture.") {
		t.Errorf("scripts = %v; want app.js then the hashed capture.js", scripts)
	}
	for _, src := range scripts {
		if res := a.get(src); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", src, res.StatusCode)
		}
	}
}

func TestCaptureScreenWithoutICEServersGivesAnEmptyList(t *testing.T) {
	e := newEnv(t, web.Config{Live: fakeLive{}})
	s := e.create(session.Params{})
	a := e.browser()
	r := a.start(s.ID)
	r.wantScreen(t, http.StatusOK, "screen-capture")
	if got := attr(r.testID("screen-capture"), "data-ice-servers"); got != "[]" {
		t.Errorf("data-ice-servers = %q; want []", got)
	}
	if r.testID("btn-cancel") != nil {
		t.Error("a session without cancel_url shows Cancel")
	}
}

// TestCaptureStringsAreTranslated proves the script's strings come from the
// catalogue of the page's language.
func TestCaptureStringsAreTranslated(t *testing.T) {
	e := newEnv(t, web.Config{Live: fakeLive{}})
	s := e.create(session.Params{Locale: "id"})
	r := e.browser().start(s.ID)
	keys := findAll(r.doc, func(n *html.Node) bool { return attr(n, "data-key") == "HEAD_LEFT" })
	if len(keys) != 1 || text(keys[0]) != "Perlahan tolehkan kepala ke kiri" {
		t.Fatalf("HEAD_LEFT string = %v; want the Indonesian instruction", keys)
	}
	if got := attr(findHTML(r), "lang"); got != "id" {
		t.Errorf("lang = %q", got)
	}
}

// TestPassiveSessionGetsTheCamera: a passive session uses the live capture
// screen too (the server's hello says passive), and, like an active one,
// the plain "not available" screen on a server without live capture.
func TestPassiveSessionGetsTheCamera(t *testing.T) {
	for _, c := range []struct {
		live   web.Live
		screen string
	}{
		{fakeLive{}, "screen-capture"},
		{nil, "screen-capture-unavailable"},
	} {
		e := newEnv(t, web.Config{Live: c.live})
		s, err := session.New(session.Params{Kind: session.KindPassive, SuccessURL: "https://shop.example/done"}, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.Create(t.Context(), s); err != nil {
			t.Fatal(err)
		}
		r := e.browser().start(s.ID)
		r.wantScreen(t, http.StatusOK, c.screen)
		if c.live != nil {
			if got := attr(r.testID("screen-capture"), "data-offer-url"); got != "/s/"+s.ID+"/offer" {
				t.Errorf("data-offer-url = %q", got)
			}
			if keys := findAll(r.doc, func(n *html.Node) bool { return attr(n, "data-key") == "wait" }); len(keys) != 1 || text(keys[0]) != "Look at the camera and hold still" {
				t.Errorf("wait string = %v; want the passive burst's words", keys)
			}
			// The words of the protocol's saving (a result waiting for the store).
			if keys := findAll(r.doc, func(n *html.Node) bool { return attr(n, "data-key") == "saving" }); len(keys) != 1 || !strings.HasPrefix(text(keys[0]), "Saving your result") {
				t.Errorf("saving string = %v; want the page to say the result is being saved", keys)
			}
		}
	}
}

// TestStartRecordsConsent: following Start records, once, when the end user
// agreed and to which text (its language and a digest of its words), in the
// session and as a consent entry of the audit; a reload of the capture step
// records nothing new, and the Indonesian text is another version.
func TestStartRecordsConsent(t *testing.T) {
	e := newEnv(t, web.Config{Live: fakeLive{}})
	versions := map[string]string{}
	for _, lang := range []string{"en", "id"} {
		s := e.create(session.Params{Gestures: []string{"HEAD_LEFT"}})
		a := e.browser()
		a.lang = lang
		a.get("/s/"+s.ID).wantScreen(t, http.StatusOK, "screen-consent")
		if got := e.get(s.ID); !got.ConsentedAt.IsZero() {
			t.Fatalf("%s: consent recorded before Start: %v", lang, got.ConsentedAt)
		}
		a.start(s.ID).wantScreen(t, http.StatusOK, "screen-capture")
		e.clock.Add(time.Minute)
		a.get("/s/"+s.ID+"/capture").wantScreen(t, http.StatusOK, "screen-capture")
		got := e.get(s.ID)
		if !strings.HasPrefix(got.ConsentVersion, lang+"-") || len(got.ConsentVersion) != len(lang)+13 || !got.ConsentedAt.Equal(e.clock.Now().Add(-time.Minute)) {
			t.Errorf("%s: consent %q at %v; want %s-<12 hex> at the first Start (%v)", lang, got.ConsentVersion, got.ConsentedAt, lang, e.clock.Now().Add(-time.Minute))
		}
		audit, err := e.store.Audit(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		var consents []session.AuditEntry
		for _, en := range audit {
			if en.Event == "consent" {
				consents = append(consents, en)
			}
		}
		if len(consents) != 1 || consents[0].Outcome != got.ConsentVersion || !consents[0].Time.Equal(got.ConsentedAt) {
			t.Errorf("%s: audit consent entries %+v; want one with version %s", lang, consents, got.ConsentVersion)
		}
		versions[lang] = got.ConsentVersion
	}
	if versions["en"][3:] == versions["id"][3:] {
		t.Errorf("the English and Indonesian texts have one digest: %v", versions)
	}
}
