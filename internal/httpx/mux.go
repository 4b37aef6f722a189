package httpx

import "net/http"

// Mux is an http.ServeMux that remembers the patterns registered on it, in
// order, so that the routes a server serves can be listed (the OpenAPI
// document's test compares them with the document's paths).
type Mux struct {
	*http.ServeMux
	patterns []string
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern, as http.ServeMux.Handle.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.ServeMux.Handle(pattern, h)
	m.patterns = append(m.patterns, pattern)
}

// HandleFunc registers f for pattern, as http.ServeMux.HandleFunc.
func (m *Mux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// Patterns returns a copy of the registered patterns, in order.
func (m *Mux) Patterns() []string { return append([]string(nil), m.patterns...) }
