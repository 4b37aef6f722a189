package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReadyzFailsWhenRedisGoesAway runs the server on a Redis of its own,
// stops that Redis, and expects /readyz to say so while /healthz stays up.
func TestReadyzFailsWhenRedisGoesAway(t *testing.T) {
	url, kill := startRedis(t)
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "REDIS_URL": url})
	if code, _ := get(t, s.url+"/readyz"); code != 200 {
		t.Fatalf("/readyz with Redis up: got %d; want 200", code)
	}
	code, obj, _ := s.call(t, "POST", "/face/v1/active-liveness-sessions", `{"success_url":"https://a.example/"}`)
	sid, _ := obj["sid"].(string)
	if code != 200 || sid == "" {
		t.Fatalf("create with Redis up: %d %v", code, obj)
	}
	kill()
	code, body := get(t, s.url+"/readyz")
	if code != 503 || !strings.Contains(body, "store unavailable") {
		t.Errorf("/readyz with Redis down: got %d %q; want 503", code, body)
	}
	if code, _ := get(t, s.url+"/healthz"); code != 200 {
		t.Errorf("/healthz with Redis down: got %d; want 200 (the process is alive)", code)
	}

	// Every API route that needs the store: 503 with Retry-After in the
	// error format, no internals; nothing says 500.
	const active, passive = "/face/v1/active-liveness-sessions", "/face/v1/passive-liveness-sessions"
	for _, c := range []struct{ method, path, body string }{
		{"POST", active, `{"success_url":"https://a.example/"}`},
		{"POST", passive, `{"success_url":"https://a.example/"}`},
		{"GET", active + "/" + sid, ""},
		{"GET", active + "/" + sid + "/audit", ""},
		{"DELETE", active + "/" + sid, ""},
		{"GET", passive + "/" + sid, ""},
		{"GET", active + "/" + strings.Repeat("A", 32), ""},
	} {
		code, obj, hdr := s.call(t, c.method, c.path, c.body)
		msg, _ := obj["error_message"].(string)
		if code != 503 || hdr.Get("Retry-After") != "5" || obj["status"] != "failed" || !strings.Contains(msg, "unavailable") || strings.Contains(msg, "redis") {
			t.Errorf("%s %s with Redis down: %d Retry-After %q %v; want 503, Retry-After 5, the error format, no internals",
				c.method, c.path, code, hdr.Get("Retry-After"), obj)
		}
	}

	// The pages: their own format (an HTML screen), the same status.
	for _, path := range []string{"/s/" + sid, "/s/" + sid + "/capture"} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "5" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), `data-testid="screen-unavailable"`) {
			t.Errorf("GET %s with Redis down: %d Retry-After %q %q; want 503, Retry-After 5, the unavailable screen",
				path, resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
		}
	}
}
