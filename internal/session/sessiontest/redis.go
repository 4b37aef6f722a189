package sessiontest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The test Redis, shared by every package whose tests need a real one
// (the Redis store, the API, the server): CI starts it, and a test that
// cannot reach it fails rather than skips.

// RedisURL is the Redis the tests use: REDIS_URL, or the local default.
func RedisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// reachable remembers whether the test Redis answered, so that without one
// every test fails at once rather than each waiting for its own dial.
var reachable struct {
	once sync.Once
	err  error
}

// RedisClient connects to the test Redis and fails the test when it does not
// answer: CI has a Redis, and a skipped test would hide that it went missing.
func RedisClient(tb testing.TB) *redis.Client {
	tb.Helper()
	raw := RedisURL()
	shown := raw
	if u, err := url.Parse(raw); err == nil {
		shown = u.Redacted()
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		tb.Fatalf("REDIS_URL %s: %v", shown, err)
	}
	reachable.once.Do(func() {
		probe := *opt
		probe.MaxRetries, probe.DialerRetries = -1, 1
		probe.DialTimeout = 2 * time.Second
		c := redis.NewClient(&probe)
		defer c.Close()
		reachable.err = c.Ping(context.Background()).Err()
	})
	if reachable.err != nil {
		tb.Fatalf("Redis not reachable at %s: %v; run `make test`, which starts one", shown, reachable.err)
	}
	c := redis.NewClient(opt)
	tb.Cleanup(func() { c.Close() })
	return c
}

// RedisPrefix returns a key prefix no other test uses, and deletes every key
// under it when the test ends.
func RedisPrefix(tb testing.TB, c *redis.Client) string {
	tb.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "livegate-test:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() {
		keys := RedisKeys(tb, c, prefix)
		if len(keys) > 0 {
			if err := c.Del(context.Background(), keys...).Err(); err != nil {
				tb.Errorf("cleanup: deleting %d keys under %s: %v", len(keys), prefix, err)
			}
		}
	})
	return prefix
}

// RedisKeys lists the keys under prefix (SCAN, never KEYS).
func RedisKeys(tb testing.TB, c *redis.Client, prefix string) []string {
	tb.Helper()
	var keys []string
	iter := c.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Fatalf("SCAN %s*: %v", prefix, err)
	}
	return keys
}

// OwnRedis is a redis-server of one test's own (no persistence, loopback),
// for tests that change its configuration or stop it.
type OwnRedis struct {
	URL    string
	Client *redis.Client
	cmd    *exec.Cmd
	once   sync.Once
}

// StartRedis starts a redis-server on a free loopback port and waits until
// it answers; it fails the test without one (CI installs it). The server
// stops when the test ends, or at Stop.
func StartRedis(tb testing.TB) *OwnRedis {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatal("redis-server not found; run `make test`, which installs it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &OwnRedis{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	r.cmd = exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Stop)
	r.Client = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	tb.Cleanup(func() { r.Client.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for r.Client.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			tb.Fatal("the test's redis-server did not answer within 10 s")
		}
		time.Sleep(20 * time.Millisecond) // polling a process we started, not waiting blindly
	}
	return r
}

// Stop kills the server and waits for it; calling it again does nothing.
func (r *OwnRedis) Stop() {
	r.once.Do(func() {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	})
}
