package server

import (
	"net/http"
	"testing"
)

// TestHSTS: an https public URL makes every response, API, pages and
// errors alike, carry Strict-Transport-Security; an http one none.
func TestHSTS(t *testing.T) {
	for _, tt := range []struct {
		public, want string
	}{
		{"https://liveness.example.com", "max-age=31536000"},
		{"http://localhost:8080", ""},
	} {
		s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_PUBLIC_URL": tt.public})
		for _, path := range []string{"/healthz", "/face/v1/active-liveness-sessions/x", "/s/" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/nowhere"} {
			resp, err := http.Get(s.url + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("public URL %s, GET %s (%d): Strict-Transport-Security %q; want %q", tt.public, path, resp.StatusCode, got, tt.want)
			}
		}
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
	}
}
