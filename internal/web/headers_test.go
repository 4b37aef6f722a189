package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
	"github.com/livegate/livegate/web/static"
)

// pages returns one response of every screen.
func pages(t *testing.T, e *env) map[string]*response {
	t.Helper()
	out := map[string]*response{}
	s := e.create(session.Params{CancelURL: cancelURL})
	a := e.browser()
	out["consent"] = a.get("/s/" + s.ID)
	out["capture-unavailable"] = a.start(s.ID)
	out["in-use"] = e.browser().get("/s/" + s.ID)
	_, tok := out["consent"].cancelForm(t)
	out["forbidden"] = a.post("/s/"+s.ID+"/cancel", url.Values{"csrf_token": {tok + "x"}}, nil)
	out["canceled"] = a.get("/s/" + e.create(session.Params{}).ID)
	c := e.create(session.Params{})
	a.get("/s/" + c.ID)
	out["canceled"] = a.post("/s/"+c.ID+"/cancel", url.Values{"csrf_token": {tok}}, nil)
	out["not-found"] = a.get("/s/" + session.NewID())
	return out
}

func TestPageHeaders(t *testing.T) {
	e := newEnv(t, web.Config{FrameAncestors: "https://app.example"})
	for name, r := range pages(t, e) {
		t.Run(name, func(t *testing.T) {
			want := map[string]string{
				"Content-Type":           "text/html; charset=utf-8",
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"Cache-Control":          "no-store",
				"Permissions-Policy":     "camera=(self)",
			}
			for k, v := range want {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s = %q; want %q", k, got, v)
				}
			}
			formAction := "'self'"
			if name == "consent" || name == "capture-unavailable" {
				formAction = "'self' https://shop.example"
			}
			wantCSP := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
				"media-src 'self' blob:; base-uri 'none'; form-action " + formAction + "; frame-ancestors https://app.example"
			if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
				t.Errorf("CSP =\n%s\nwant\n%s", got, wantCSP)
			}
		})
	}
}

// TestPagesHaveNoInlineCode checks what the CSP would otherwise block:
// no <style>, no style or on* attributes, no inline script, no external URL.
func TestPagesHaveNoInlineCode(t *testing.T) {
	e := newEnv(t, web.Config{})
	for name, r := range pages(t, e) {
		t.Run(name, func(t *testing.T) {
			if r.doc == nil {
				t.Fatal("not HTML")
			}
			findAll(r.doc, func(n *html.Node) bool {
				if n.Data == "style" {
					t.Errorf("<style> element")
				}
				if n.Data == "script" && (attr(n, "src") == "" || n.FirstChild != nil) {
					t.Errorf("inline script")
				}
				for _, a := range n.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
					}
					if (a.Key == "src" || (a.Key == "href" && n.Data == "link")) && !strings.HasPrefix(a.Val, "/static/") {
						t.Errorf("<%s %s=%q> loads from elsewhere", n.Data, a.Key, a.Val)
					}
				}
				return false
			})
			if h := findHTML(r); attr(h, "lang") == "" {
				t.Error("no lang attribute")
			}
			if len(findAll(r.doc, isH1)) != 1 {
				t.Error("want exactly one h1")
			}
			if r.testID("live-region") == nil {
				t.Error("no live region")
			}
			if !regexp.MustCompile(`(?i)^<!DOCTYPE html>`).MatchString(r.body) {
				t.Error("no doctype")
			}
		})
	}
}

var hashedName = regexp.MustCompile(`^/static/([a-z0-9-]+)\.([0-9a-f]{8})(\.[a-z0-9]+)$`)

func TestStaticAssets(t *testing.T) {
	e := newEnv(t, web.Config{})
	contentType := map[string]string{
		".css": "text/css; charset=utf-8",
		".js":  "text/javascript; charset=utf-8",
		".svg": "image/svg+xml",
	}
	seen := map[string]bool{}
	for _, r := range pages(t, e) {
		findAll(r.doc, func(n *html.Node) bool {
			for _, k := range []string{"src", "href"} {
				if v := attr(n, k); strings.HasPrefix(v, "/static/") {
					seen[v] = true
				}
			}
			return false
		})
	}
	if len(seen) < 4 {
		t.Fatalf("pages reference only %v", seen)
	}
	for u := range seen {
		m := hashedName.FindStringSubmatch(u)
		if m == nil {
			t.Errorf("%s is not a content-hashed name", u)
			continue
		}
		plain := m[1] + m[3]
		want, err := fs.ReadFile(static.FS(), plain)
		if err != nil {
			t.Errorf("%s: %v", plain, err)
			continue
		}
		sum := sha256.Sum256(want)
		if m[2] != hex.EncodeToString(sum[:4]) {
			t.Errorf("%s: hash is not of the content", u)
		}
		r := e.browser().get(u)
		if r.StatusCode != http.StatusOK || r.body != string(want) {
			t.Errorf("GET %s = %d, %d bytes; want 200 and the file", u, r.StatusCode, len(r.body))
		}
		if got := r.Header.Get("Content-Type"); got != contentType[m[3]] {
			t.Errorf("GET %s Content-Type = %q; want %q", u, got, contentType[m[3]])
		}
		if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s Cache-Control = %q", u, got)
		}
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s nosniff = %q", u, got)
		}
		// A revalidation costs no body.
		req, _ := http.NewRequest(http.MethodGet, e.public+u, nil)
		req.Header.Set("If-None-Match", r.Header.Get("ETag"))
		if nm := e.browser().do(req); nm.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s If-None-Match = %d; want 304", u, nm.StatusCode)
		}
	}
	for _, u := range []string{"/static/app.css", "/static/app.00000000.css", "/static/static.go", "/static/missing/x.svg"} {
		if r := e.browser().get(u); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", u, r.StatusCode)
		}
	}
}

func TestCookieFlags(t *testing.T) {
	tests := []struct {
		public string
		secure bool
		name   string
	}{
		{"https://livegate.example", true, "__Host-livegate"},
		{"https://livegate.example:8443", true, "__Host-livegate"},
		{"http://localhost:8080", false, "livegate"},
		{"http://127.0.0.1:8080", false, "livegate"},
		{"http://[::1]:8080", false, "livegate"},
	}
	for _, tc := range tests {
		t.Run(tc.public, func(t *testing.T) {
			e := newEnv(t, web.Config{PublicURL: tc.public})
			s := e.create(session.Params{})
			r := e.browser().get("/s/" + s.ID)
			r.wantScreen(t, http.StatusOK, "screen-consent")
			cookies := r.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies = %v; want one", cookies)
			}
			c := cookies[0]
			if c.Name != tc.name || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tc.secure ||
				c.Path != "/" || c.Domain != "" || c.MaxAge <= 0 || c.MaxAge > 24*60*60 {
				t.Errorf("cookie = %s; want %s HttpOnly SameSite=Lax Secure=%v Path=/ host-only, at most a day", c, tc.name, tc.secure)
			}
		})
	}
}

func TestNoCookieOnPagesWithoutASession(t *testing.T) {
	e := newEnv(t, web.Config{})
	if r := e.browser().get("/s/" + session.NewID()); len(r.Cookies()) != 0 {
		t.Errorf("not-found page set %v", r.Cookies())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	e := newEnv(t, web.Config{})
	good := web.Config{Store: e.store, CookieKeys: testKeys, PublicURL: "https://livegate.example"}
	tests := []struct {
		name string
		edit func(*web.Config)
	}{
		{"no store", func(c *web.Config) { c.Store = nil }},
		{"no keys", func(c *web.Config) { c.CookieKeys = nil }},
		{"odd keys", func(c *web.Config) { c.CookieKeys = testKeys[:1] }},
		{"short hash key", func(c *web.Config) { c.CookieKeys = [][]byte{[]byte("short"), testKeys[1]} }},
		{"bad block key", func(c *web.Config) { c.CookieKeys = [][]byte{testKeys[0], []byte("seventeen bytes!!")} }},
		{"no public URL", func(c *web.Config) { c.PublicURL = "" }},
		{"relative public URL", func(c *web.Config) { c.PublicURL = "/livegate" }},
		{"directive in frame ancestors", func(c *web.Config) { c.FrameAncestors = "'self'; script-src *" }},
	}
	if _, err := web.New(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			if _, err := web.New(c); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestDeriveCookieKeys(t *testing.T) {
	keys, err := web.DeriveCookieKeys(strings.Repeat("s", 32), strings.Repeat("o", 40))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 || string(keys[0]) == string(keys[1]) || string(keys[0]) == string(keys[2]) {
		t.Fatalf("keys = %x; want two distinct pairs", keys)
	}
	if _, err := web.NewBrowserStore(keys, true); err != nil {
		t.Errorf("derived keys rejected: %v", err)
	}
	if _, err := web.DeriveCookieKeys("too short"); err == nil {
		t.Error("a short secret was accepted")
	}
}
