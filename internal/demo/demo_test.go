package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/livegate/livegate/internal/demo"
	"github.com/livegate/livegate/internal/demo/demotest"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
)

const public = "https://livegate.example"

var testKeys = [][]byte{
	[]byte("0123456789abcdef0123456789abcdef"),
	[]byte("fedcba9876543210fedcba9876543210"),
}

type env struct {
	t     *testing.T
	h     http.Handler
	api   http.Handler
	store *memstore.Store
	calls atomic.Int32
	now   time.Time
}

func newEnv(t *testing.T, key string) *env {
	t.Helper()
	e := &env{t: t, now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	e.store = memstore.New(memstore.WithClock(func() time.Time { return e.now }), memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = e.store.Close() })
	fake := demotest.NewAPI(e.store, "dev-key", public, func() time.Time { return e.now })
	e.api = fake
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		fake.ServeHTTP(w, r)
	})
	h, err := demo.New(demo.Config{
		API: counted, APIKey: key, PublicURL: public, CookieKeys: testKeys,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("demo.New: %v", err)
	}
	e.h = h
	return e
}

type page struct {
	status int
	header http.Header
	body   string
	doc    *html.Node
}

func (e *env) do(req *http.Request, cookies []*http.Cookie) (page, []*http.Cookie) {
	e.t.Helper()
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	res := rec.Result()
	raw, _ := io.ReadAll(res.Body)
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	return page{status: res.StatusCode, header: res.Header, body: string(raw), doc: doc}, res.Cookies()
}

// home opens /demo and returns the page and the browser's cookies.
func (e *env) home() (page, []*http.Cookie) {
	return e.do(httptest.NewRequest(http.MethodGet, public+"/demo", nil), nil)
}

func (e *env) create(cookies []*http.Cookie, token string, header map[string]string) page {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, public+"/demo", strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	p, _ := e.do(req, cookies)
	return p
}

func (p page) testID(id string) *html.Node {
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "data-testid" && a.Val == id {
					found = n
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.doc)
	return found
}

func (p page) text(id string) string {
	n := p.testID(id)
	if n == nil {
		return ""
	}
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return sb.String()
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func token(t *testing.T, p page) string {
	t.Helper()
	var tok string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") == "csrf_token" {
			tok = attr(n, "value")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.doc)
	if tok == "" {
		t.Fatal("no csrf_token on the page")
	}
	return tok
}

func TestHome(t *testing.T) {
	e := newEnv(t, "dev-key")
	p, cookies := e.home()
	if p.status != http.StatusOK || p.testID("screen-demo") == nil || p.testID("btn-create") == nil {
		t.Fatalf("GET /demo = %d\n%s", p.status, p.body)
	}
	if len(cookies) != 1 || !cookies[0].HttpOnly || !cookies[0].Secure || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("cookies = %v; want one HttpOnly Secure SameSite=Lax", cookies)
	}
	wantCSP := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"media-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	for k, v := range map[string]string{
		"Content-Security-Policy": wantCSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		"Cache-Control": "no-store", "Permissions-Policy": "camera=(self)",
	} {
		if got := p.header.Get(k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
	if e.calls.Load() != 0 {
		t.Errorf("GET /demo called the API %d times", e.calls.Load())
	}
	// Localised by Accept-Language.
	req := httptest.NewRequest(http.MethodGet, public+"/demo", nil)
	req.Header.Set("Accept-Language", "id-ID")
	if id, _ := e.do(req, nil); !strings.Contains(id.body, "Buat sesi") || !strings.Contains(id.body, `lang="id"`) {
		t.Errorf("Indonesian demo page lacks its strings:\n%s", id.body)
	}
}

func TestCreateIsProtected(t *testing.T) {
	e := newEnv(t, "dev-key")
	p, cookies := e.home()
	tok := token(t, p)
	tests := []struct {
		name    string
		cookies []*http.Cookie
		token   string
		header  map[string]string
	}{
		{"no token", cookies, "", nil},
		{"wrong token", cookies, tok + "x", nil},
		{"no cookie", nil, tok, nil},
		{"cross-site", cookies, tok, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.create(tc.cookies, tc.token, tc.header)
			if r.status != http.StatusForbidden || r.testID("screen-forbidden") == nil {
				t.Errorf("got %d; want 403 screen-forbidden\n%s", r.status, r.body)
			}
		})
	}
	if n := e.calls.Load(); n != 0 {
		t.Errorf("refused forms called the API %d times", n)
	}
}

func TestCreateThenResult(t *testing.T) {
	e := newEnv(t, "dev-key")
	p, cookies := e.home()
	r := e.create(cookies, token(t, p), nil)
	if r.status != http.StatusOK || r.testID("screen-demo-created") == nil {
		t.Fatalf("create = %d\n%s", r.status, r.body)
	}
	if got := strings.TrimSpace(r.text("api-status")); got != "200 OK" {
		t.Errorf("api-status = %q", got)
	}
	var created struct {
		Status           string `json:"status"`
		SuccessURL       string `json:"success_url"`
		CancelURL        string `json:"cancel_url"`
		URL              string `json:"url"`
		SID              string `json:"sid"`
		NumberOfGestures int    `json:"number_of_gestures"`
		Expired          int64  `json:"expired"`
	}
	body := r.text("api-json")
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatalf("api-json is not JSON: %v\n%s", err, body)
	}
	if created.Status != "PENDING" || created.SuccessURL != public+"/demo/done" || created.CancelURL != public+"/demo/canceled" ||
		created.URL != public+"/s/"+created.SID || created.NumberOfGestures != 1 || created.Expired == 0 {
		t.Errorf("created = %+v", created)
	}
	if got := attr(r.testID("link-open-page"), "href"); got != created.URL {
		t.Errorf("link-open-page = %q; want %q", got, created.URL)
	}
	if !strings.Contains(r.text("api-request-body"), `"success_url": "`+public+`/demo/done"`) {
		t.Errorf("request body shown = %q", r.text("api-request-body"))
	}

	// The end user cancels; the demo shows what the API says now.
	if _, err := e.store.Update(context.Background(), created.SID, func(s *session.Session) error { return s.Cancel(e.now) }); err != nil {
		t.Fatal(err)
	}
	res, _ := e.do(httptest.NewRequest(http.MethodGet, public+"/demo/canceled?sid="+created.SID, nil), nil)
	if res.status != http.StatusOK || res.testID("screen-demo-canceled") == nil {
		t.Fatalf("canceled page = %d\n%s", res.status, res.body)
	}
	direct := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/face/v1/active-liveness-sessions/"+created.SID, nil)
	req.Header.Set("x-api-key", "dev-key")
	e.api.ServeHTTP(direct, req)
	var want bytes.Buffer
	if err := json.Indent(&want, direct.Body.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	if got := res.text("api-json"); got != want.String() {
		t.Errorf("api-json =\n%s\nwant exactly what the API returned:\n%s", got, want.String())
	}
	if !strings.Contains(res.text("api-json"), `"status": "CANCELED"`) {
		t.Errorf("api-json does not say CANCELED:\n%s", res.text("api-json"))
	}
	if got := strings.TrimSpace(res.text("api-request")); got != "GET /face/v1/active-liveness-sessions/"+created.SID {
		t.Errorf("api-request = %q", got)
	}

	done, _ := e.do(httptest.NewRequest(http.MethodGet, public+"/demo/done?sid="+created.SID, nil), nil)
	if done.status != http.StatusOK || done.testID("screen-demo-done") == nil {
		t.Errorf("done page = %d", done.status)
	}
}

func TestResultWithoutValidSID(t *testing.T) {
	e := newEnv(t, "dev-key")
	for _, q := range []string{"", "?sid=", "?sid=../../etc", "?sid=" + strings.Repeat("a", 33)} {
		p, _ := e.do(httptest.NewRequest(http.MethodGet, public+"/demo/done"+q, nil), nil)
		if p.status != http.StatusBadRequest || p.testID("demo-missing-sid") == nil {
			t.Errorf("/demo/done%s = %d; want 400 with demo-missing-sid", q, p.status)
		}
	}
	if e.calls.Load() != 0 {
		t.Errorf("bad sids reached the API")
	}
	// A well-formed unknown sid is the API's to answer: 404, shown as is.
	p, _ := e.do(httptest.NewRequest(http.MethodGet, public+"/demo/done?sid="+session.NewID(), nil), nil)
	if got := strings.TrimSpace(p.text("api-status")); got != "404 Not Found" {
		t.Errorf("unknown sid: api-status = %q", got)
	}
}

func TestWrongKeyShowsTheAPIError(t *testing.T) {
	e := newEnv(t, "not-the-key")
	p, cookies := e.home()
	r := e.create(cookies, token(t, p), nil)
	if got := strings.TrimSpace(r.text("api-status")); got != "401 Unauthorized" {
		t.Errorf("api-status = %q; want 401", got)
	}
	if r.testID("link-open-page") != nil {
		t.Error("a failed create still links to a page")
	}
	if !strings.Contains(r.text("api-json"), `"error_message"`) {
		t.Errorf("api-json = %q; want the API's error body", r.text("api-json"))
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ok := demo.Config{API: http.NotFoundHandler(), APIKey: "k", PublicURL: public, CookieKeys: testKeys}
	if _, err := demo.New(ok); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*demo.Config){
		"no API":        func(c *demo.Config) { c.API = nil },
		"no key":        func(c *demo.Config) { c.APIKey = "" },
		"no public URL": func(c *demo.Config) { c.PublicURL = "" },
		"no cookies":    func(c *demo.Config) { c.CookieKeys = nil },
	} {
		c := ok
		edit(&c)
		if _, err := demo.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
