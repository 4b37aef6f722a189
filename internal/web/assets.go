package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// StaticPrefix is where the hashed static files are served.
const StaticPrefix = "/static/"

// Assets serves embedded static files under names that carry a digest of
// their content (app.css → /static/app.3f2a9c1b.css), so that browsers may
// cache them forever and still see a new file after an upgrade.
type Assets struct {
	urls   map[string]string // plain name → URL
	byName map[string]asset  // hashed name → file
}

type asset struct {
	data  []byte
	ctype string
	etag  string
}

// contentTypes is explicit so that a missing /etc/mime.types on a slim
// image cannot change what browsers are told (nosniff makes it matter).
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".json":  "application/json",
	".woff2": "font/woff2",
	".y4m":   "video/x-yuv4mpeg",
}

// NewAssets reads every regular file at the top of fsys.
func NewAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{urls: map[string]string{}, byName: map[string]asset{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".go") {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("web: static file %s: %w", name, err)
		}
		sum := sha256.Sum256(data)
		digest := hex.EncodeToString(sum[:4])
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + digest + ext
		ctype, ok := contentTypes[ext]
		if !ok {
			ctype = mime.TypeByExtension(ext)
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.urls[name] = StaticPrefix + hashed
		a.byName[hashed] = asset{data: data, ctype: ctype, etag: `"` + digest + `"`}
	}
	return a, nil
}

// URL returns the hashed URL of a static file by its plain name. An unknown
// name yields a URL that answers 404, which the handler tests catch.
func (a *Assets) URL(name string) string {
	if u, ok := a.urls[name]; ok {
		return u
	}
	return StaticPrefix + "missing/" + name
}

// ServeHTTP serves GET /static/{hashed name}.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, StaticPrefix)
	f, ok := a.byName[name]
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if !ok {
		h.Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", f.etag)
	// A standalone SVG is a document: keep it from running anything.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}
