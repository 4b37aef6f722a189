package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/livegate/livegate/internal/httpx"
)

func TestMuxRemembersPatternsAndRoutes(t *testing.T) {
	m := httpx.NewMux()
	m.HandleFunc("GET /a/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("a " + r.PathValue("id"))) })
	m.Handle("POST /b", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }))
	want := []string{"GET /a/{id}", "POST /b"}
	got := m.Patterns()
	if !slices.Equal(got, want) {
		t.Fatalf("Patterns: %q; want %q", got, want)
	}
	got[0] = "changed"
	if m.Patterns()[0] != want[0] {
		t.Fatal("Patterns returns the Mux's own slice")
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/a/7", nil))
	if rec.Body.String() != "a 7" {
		t.Errorf("GET /a/7: %q; want \"a 7\"", rec.Body.String())
	}
	rec = httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("POST", "/b", nil))
	if rec.Code != http.StatusCreated {
		t.Errorf("POST /b: %d; want 201", rec.Code)
	}
}
