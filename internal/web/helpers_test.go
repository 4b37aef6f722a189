package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/web"
)

var testKeys = [][]byte{
	[]byte("0123456789abcdef0123456789abcdef"), // hash key, 32 bytes
	[]byte("fedcba9876543210fedcba9876543210"), // block key, AES-256
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t      *testing.T
	h      http.Handler
	store  *memstore.Store
	clock  *clock
	public string
}

func newEnv(t *testing.T, cfg web.Config) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	store := memstore.New(memstore.WithClock(clk.Now), memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = store.Close() })
	if cfg.PublicURL == "" {
		cfg.PublicURL = "https://livegate.example"
	}
	cfg.Store = store
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Now = clk.Now
	if cfg.CookieKeys == nil {
		cfg.CookieKeys = testKeys
	}
	h, err := web.New(cfg)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return &env{t: t, h: h, store: store, clock: clk, public: cfg.PublicURL}
}

// create stores a fresh active session.
func (e *env) create(p session.Params) *session.Session {
	e.t.Helper()
	p.Kind = session.KindActive
	if p.SuccessURL == "" {
		p.SuccessURL = "https://shop.example/done?order=42"
	}
	s, err := session.New(p, e.clock.Now())
	if err != nil {
		e.t.Fatalf("session.New: %v", err)
	}
	if err := e.store.Create(context.Background(), s); err != nil {
		e.t.Fatalf("Create: %v", err)
	}
	return s
}

func (e *env) get(id string) *session.Session {
	e.t.Helper()
	s, err := e.store.Get(context.Background(), id)
	if err != nil {
		e.t.Fatalf("Get(%s): %v", id, err)
	}
	return s
}

// browser keeps one browser's cookies, as a real one would.
type browser struct {
	e       *env
	cookies map[string]*http.Cookie
	lang    string
}

func (e *env) browser() *browser { return &browser{e: e, cookies: map[string]*http.Cookie{}} }

type response struct {
	*http.Response
	body string
	doc  *html.Node
}

func (b *browser) do(req *http.Request) *response {
	b.e.t.Helper()
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	rec := httptest.NewRecorder()
	b.e.h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, c := range res.Cookies() {
		b.cookies[c.Name] = c
	}
	raw, _ := io.ReadAll(res.Body)
	r := &response{Response: res, body: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		doc, err := html.Parse(strings.NewReader(r.body))
		if err != nil {
			b.e.t.Fatalf("parse HTML: %v", err)
		}
		r.doc = doc
	}
	return r
}

func (b *browser) get(path string) *response {
	b.e.t.Helper()
	return b.do(httptest.NewRequest(http.MethodGet, b.e.public+path, nil))
}

// post sends a form the way a browser does from a page of the same origin.
func (b *browser) post(path string, form url.Values, header map[string]string) *response {
	b.e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, b.e.public+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.e.public)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return b.do(req)
}

// start opens the session's consent screen and presses Start: its form
// posts the token to /s/{sid}/capture, which claims the session and
// redirects (303) to the capture step, whose response it returns.
func (b *browser) start(sid string) *response {
	b.e.t.Helper()
	consent := b.get("/s/" + sid)
	btn := consent.testID("btn-start")
	if btn == nil {
		return consent
	}
	form := btn.Parent
	var token string
	for _, in := range findAll(form, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "csrf_token" }) {
		token = attr(in, "value")
	}
	r := b.post(attr(form, "action"), url.Values{"csrf_token": {token}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		return r
	}
	return b.get(r.Header.Get("Location"))
}

// cancelForm returns the action and token of the page's cancel form.
func (r *response) cancelForm(t *testing.T) (action, token string) {
	t.Helper()
	btn := r.testID("btn-cancel")
	if btn == nil {
		t.Fatalf("no btn-cancel on the page:\n%s", r.body)
	}
	var form *html.Node
	for n := btn.Parent; n != nil; n = n.Parent {
		if n.Type == html.ElementNode && n.Data == "form" {
			form = n
			break
		}
	}
	if form == nil {
		t.Fatal("btn-cancel is not in a form")
	}
	if m := attr(form, "method"); m != "post" {
		t.Fatalf("cancel form method = %q, want post", m)
	}
	for _, in := range findAll(form, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "csrf_token" }) {
		token = attr(in, "value")
	}
	if token == "" {
		t.Fatal("cancel form has no csrf_token")
	}
	return attr(form, "action"), token
}

func (r *response) testID(id string) *html.Node {
	if r.doc == nil {
		return nil
	}
	nodes := findAll(r.doc, func(n *html.Node) bool { return attr(n, "data-testid") == id })
	if len(nodes) == 0 {
		return nil
	}
	return nodes[0]
}

// screen returns the data-testid of the page's screen root.
func (r *response) screen() string {
	if r.doc == nil {
		return ""
	}
	for _, n := range findAll(r.doc, func(n *html.Node) bool {
		return n.Data == "section" && strings.HasPrefix(attr(n, "data-testid"), "screen-")
	}) {
		return attr(n, "data-testid")
	}
	return ""
}

func (r *response) wantScreen(t *testing.T, status int, screen string) {
	t.Helper()
	if r.StatusCode != status || r.screen() != screen {
		t.Fatalf("got %d %q; want %d %q\n%s", r.StatusCode, r.screen(), status, screen, r.body)
	}
}

func findAll(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
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
	return strings.Join(strings.Fields(sb.String()), " ")
}

func isH1(n *html.Node) bool { return n.Data == "h1" }

func findHTML(r *response) *html.Node {
	return findAll(r.doc, func(n *html.Node) bool { return n.Data == "html" })[0]
}
