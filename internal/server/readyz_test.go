package server

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestReadyzFailsWhenRedisGoesAway runs the server on a Redis of its own,
// stops that Redis, and expects /readyz to say so while /healthz stays up.
func TestReadyzFailsWhenRedisGoesAway(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found; run `make test`, which installs it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	client := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for client.Ping(t.Context()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the test's redis-server did not answer within 10 s")
		}
		time.Sleep(20 * time.Millisecond) // polling a process we started, not waiting blindly
	}

	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "REDIS_URL": url})
	if code, _ := get(t, s.url+"/readyz"); code != 200 {
		t.Fatalf("/readyz with Redis up: got %d; want 200", code)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	stopped = true
	code, body := get(t, s.url+"/readyz")
	if code != 503 || !strings.Contains(body, "store unavailable") {
		t.Errorf("/readyz with Redis down: got %d %q; want 503", code, body)
	}
	if code, _ := get(t, s.url+"/healthz"); code != 200 {
		t.Errorf("/healthz with Redis down: got %d; want 200 (the process is alive)", code)
	}
	code, obj, _ := s.call(t, "GET", "/face/v1/active-liveness-sessions/"+strings.Repeat("A", 32), "")
	if code != 500 || obj["error_message"] != "internal server error" {
		t.Errorf("API with Redis down: got %d %v; want 500 in the error format, no internals", code, obj)
	}
}
