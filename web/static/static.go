// Package static holds the files the end user's pages load: one style
// sheet, one script and the SVG images. They are embedded in the binary, so
// the pages need no CDN and the strict Content-Security-Policy ('self' only)
// holds. internal/web serves them under content-hashed names.
package static

import (
	"embed"
	"io/fs"
)

//go:embed *.css *.js *.svg
var files embed.FS

// FS returns the embedded files, flat, by their plain names (app.css, …).
func FS() fs.FS { return files }
