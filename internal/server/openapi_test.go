package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/web"
)

// signallingLive stands in for the live capture so that the pages
// register their signalling routes, as they do in production.
type signallingLive struct{}

func (signallingLive) ICEServers(string) []web.ICEServer { return nil }
func (signallingLive) Offer(context.Context, web.OfferRequest) (string, error) {
	return "", nil
}
func (signallingLive) Hangup(context.Context, string, string) error { return nil }

var _ web.Signaller = signallingLive{}

// openAPIDoc is the part of the document the route test reads.
type openAPIDoc struct {
	OpenAPI   string                                `json:"openapi"`
	Paths     map[string]map[string]json.RawMessage `json:"paths"`
	Fallbacks struct {
		Patterns []string `json:"patterns"`
	} `json:"x-livegate-fallbacks"`
}

// TestOpenAPIDocumentsEveryRoute holds the document to the route table of
// the whole server (every option that adds routes turned on: the demo, the
// live capture's signalling, /metrics and /readyz on the main address):
// every registered pattern is an operation of the document, and every
// operation is a registered pattern. The rules: a pattern listed in the
// document's x-livegate-fallbacks (catch-alls that answer 404) is not a
// path; a subtree pattern ("GET /static/") is documented as its prefix
// followed by one path parameter ("/static/{file}").
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	env := map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_PUBLIC_URL": "https://live.example.com", "LIVEGATE_DEMO": "true", "LIVEGATE_DEMO_FORCE": "true"}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	store, limiter, closeStore, err := openStore(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	_, routes, err := buildHandler(cfg, store, limiter, prometheus.NewRegistry(), slog.New(slog.DiscardHandler), signallingLive{}, newFaceEmbedder(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}

	var doc openAPIDoc
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi: %q; want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{} // "GET /s/{sid}"
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	// The table must hold what this test expects of it, or it proves
	// nothing.
	for _, want := range []string{"POST /face/v1/active-liveness-sessions", "GET /s/{sid}", "GET /healthz", "GET /metrics", "GET /readyz", "GET /openapi.json", "POST /s/{sid}/offer", "GET /demo"} {
		if !slices.Contains(routes, want) {
			t.Fatalf("the route table lacks %q: %q", want, routes)
		}
	}

	seen := map[string]bool{}
	for _, p := range routes {
		if slices.Contains(doc.Fallbacks.Patterns, p) {
			continue
		}
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			t.Errorf("route %q serves every method: document it per method or list it as a fallback", p)
			continue
		}
		if strings.HasSuffix(path, "/") {
			found := ""
			for op := range documented {
				m, dp, _ := strings.Cut(op, " ")
				rest, isUnder := strings.CutPrefix(dp, path)
				if m == method && isUnder && strings.HasPrefix(rest, "{") && strings.HasSuffix(rest, "}") && !strings.Contains(rest, "/") {
					found = op
				}
			}
			if found == "" {
				t.Errorf("subtree route %q has no operation %s %s{param} in openapi.json", p, method, path)
			}
			seen[found] = true
			continue
		}
		if !documented[p] {
			t.Errorf("route %q is not in openapi.json", p)
		}
		seen[p] = true
	}
	for op := range documented {
		if !seen[op] {
			t.Errorf("openapi.json documents %q, which the server does not register", op)
		}
	}
	for _, f := range doc.Fallbacks.Patterns {
		if !slices.Contains(routes, f) {
			t.Errorf("x-livegate-fallbacks lists %q, which the server does not register", f)
		}
	}
}

// TestOpenAPIServed: GET /openapi.json answers the embedded document,
// as JSON, cacheable, without an API key, and 304 to its ETag.
func TestOpenAPIServed(t *testing.T) {
	env := map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_PUBLIC_URL": "https://live.example.com"}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	store, limiter, closeStore, err := openStore(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	h, err := newHandler(cfg, store, limiter, prometheus.NewRegistry(), slog.New(slog.DiscardHandler), signallingLive{}, newFaceEmbedder(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || string(body) != string(api.OpenAPI) {
		t.Fatalf("GET /openapi.json: %d %q, %d bytes; want 200 application/json, the embedded document", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	if cc := res.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public, max-age=") {
		t.Errorf("Cache-Control %q; want public with a max-age", cc)
	}
	etag := res.Header.Get("ETag")
	req := httptest.NewRequest("GET", "/openapi.json", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if etag == "" || rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match %q: %d; want 304", etag, rec.Code)
	}
}
