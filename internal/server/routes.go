package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/httpx"
)

// routed is a handler that lists its own patterns (api, web and demo's
// Handlers).
type routed interface {
	http.Handler
	Routes() []string
}

// router is the server's mux plus the table of every pattern it serves:
// its own, and for a handler mounted at a prefix, that handler's own
// patterns under the prefix. The table is what the OpenAPI document's
// test compares with the document.
type router struct {
	mux    *httpx.Mux
	routes []string
}

func newRouter() *router { return &router{mux: httpx.NewMux()} }

// Handle serves h at pattern and lists pattern.
func (rt *router) Handle(pattern string, h http.Handler) {
	rt.mux.Handle(pattern, h)
	rt.routes = append(rt.routes, pattern)
}

// HandleFunc serves f at pattern and lists pattern.
func (rt *router) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	rt.Handle(pattern, http.HandlerFunc(f))
}

// mount serves h at each prefix (a path, "/s/" or "/demo") and lists h's
// own patterns that the prefixes reach.
func (rt *router) mount(h routed, prefixes ...string) {
	for _, p := range prefixes {
		rt.mux.Handle(p, h)
	}
	for _, pattern := range h.Routes() {
		path := pattern
		if i := strings.IndexByte(pattern, ' '); i >= 0 {
			path = pattern[i+1:]
		}
		for _, p := range prefixes {
			if path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) {
				if !slices.Contains(rt.routes, pattern) {
					rt.routes = append(rt.routes, pattern)
				}
				break
			}
		}
	}
}

// serveOpenAPI answers GET /openapi.json: the API's OpenAPI 3.1 document,
// public and cacheable (it changes only with the binary).
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "public, max-age=3600")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", openAPIETag)
	http.ServeContent(w, r, "openapi.json", time.Time{}, bytes.NewReader(api.OpenAPI))
}

// openAPIETag names the document's version for conditional requests.
var openAPIETag = func() string {
	sum := sha256.Sum256(api.OpenAPI)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()
