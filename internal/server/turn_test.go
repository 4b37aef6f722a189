package server

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/turncred"
	"github.com/livegate/livegate/internal/turncred/coturntest"
)

const turnSecret = "turn-test-secret-0123456789abcdef"

// TestTURNConfig: the TURN secret comes with its URLs and a lifetime that
// outlasts a connection; a static TURN password beside it, TURN URLs with
// credentials, a short secret and relay-only without TURN are refused,
// each error naming the variable.
func TestTURNConfig(t *testing.T) {
	c, err := loadConfig(func(k string) string {
		return map[string]string{
			"LIVEGATE_TURN_SECRET":    turnSecret,
			"LIVEGATE_TURN_URLS":      "turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349",
			"LIVEGATE_ICE_SERVERS":    "stun:stun.example.com:3478",
			"LIVEGATE_ICE_RELAY_ONLY": "true",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.TURNSecret != turnSecret || len(c.TURNURLs) != 2 || c.TURNURLs[1] != "turns:turn.example.com:5349" || c.TURNTTL != 15*time.Minute || !c.ICERelayOnly {
		t.Errorf("config %q %q %v relay-only %v; want the secret, two URLs, 15m, true", c.TURNSecret, c.TURNURLs, c.TURNTTL, c.ICERelayOnly)
	}
	if c, err := loadConfig(func(string) string { return "" }); err != nil || c.TURNSecret != "" || c.ICERelayOnly {
		t.Errorf("empty environment: %v, secret %q, relay-only %v; want no TURN", err, c.TURNSecret, c.ICERelayOnly)
	}
	withTURN := func(kv ...string) map[string]string {
		env := map[string]string{"LIVEGATE_TURN_SECRET": turnSecret, "LIVEGATE_TURN_URLS": "turn:turn.example.com:3478"}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{withTURN("LIVEGATE_ICE_SERVERS", "turn:user:pass@turn.example.com:3478"), "LIVEGATE_ICE_SERVERS: holds a TURN password"},
		{withTURN("LIVEGATE_TURN_URLS", "turn:user:pass@turn.example.com:3478"), "LIVEGATE_TURN_URLS"},
		{withTURN("LIVEGATE_TURN_URLS", "stun:turn.example.com:3478"), "LIVEGATE_TURN_URLS"},
		{withTURN("LIVEGATE_TURN_URLS", "turn:"), "LIVEGATE_TURN_URLS"},
		{withTURN("LIVEGATE_TURN_URLS", ""), "LIVEGATE_TURN_URLS"},
		{withTURN("LIVEGATE_TURN_SECRET", ""), "LIVEGATE_TURN_SECRET"},
		{withTURN("LIVEGATE_TURN_SECRET", "short"), "LIVEGATE_TURN_SECRET"},
		{withTURN("LIVEGATE_TURN_TTL", "forever"), "LIVEGATE_TURN_TTL"},
		{withTURN("LIVEGATE_TURN_TTL", "30s"), "LIVEGATE_TURN_TTL"},
		{withTURN("LIVEGATE_TURN_TTL", "2m"), "LIVEGATE_TURN_TTL: credentials must outlast one connection"},
		{withTURN("LIVEGATE_ICE_RELAY_ONLY", "maybe"), "LIVEGATE_ICE_RELAY_ONLY"},
		{map[string]string{"LIVEGATE_ICE_RELAY_ONLY": "true"}, "LIVEGATE_ICE_RELAY_ONLY"},
		{map[string]string{"LIVEGATE_ICE_RELAY_ONLY": "true", "LIVEGATE_ICE_SERVERS": "stun:stun.example.com"}, "LIVEGATE_ICE_RELAY_ONLY"},
	} {
		_, err := loadConfig(func(k string) string { return tc.env[k] })
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("env %v: error %v; want one starting %q", tc.env, err, tc.want)
		}
	}
	// Relay-only with a static TURN server (no secret) is allowed.
	if _, err := loadConfig(func(k string) string {
		return map[string]string{"LIVEGATE_ICE_RELAY_ONLY": "true", "LIVEGATE_ICE_SERVERS": "turn:u:p@turn.example.com"}[k]
	}); err != nil {
		t.Errorf("relay-only with a static TURN server: %v", err)
	}
}

// TestLiveCaptureThroughCoturn runs a real coturn on loopback with a
// shared secret and livegate configured with it and LIVEGATE_ICE_RELAY_ONLY:
// the page gets credentials issued for its session, the Go client (relay
// candidates only, as the page is told) completes a live session through
// the relay, and the selected candidate pair is a relay.
func TestLiveCaptureThroughCoturn(t *testing.T) {
	turn := coturntest.Start(t, turnSecret)
	s := startServer(t, map[string]string{
		"LIVEGATE_API_KEYS":       testKey,
		"LIVEGATE_TURN_SECRET":    turnSecret,
		"LIVEGATE_TURN_URLS":      turn.URL(),
		"LIVEGATE_TURN_TTL":       "10m",
		"LIVEGATE_ICE_RELAY_ONLY": "true",
	})
	opened := time.Now()
	p := livePage(t, s, `"HEAD_LEFT"`)

	// The page's ICE list: the TURN server with credentials for this
	// session, expiring 10 minutes on, and nothing else.
	if !p.RelayOnly {
		t.Error("the capture screen does not ask for relay candidates only")
	}
	if len(p.ICEServers) != 1 || len(p.ICEServers[0].URLs) != 1 || p.ICEServers[0].URLs[0] != turn.URL() {
		t.Fatalf("page's ICE servers %+v; want the one TURN server", p.ICEServers)
	}
	user, _ := p.ICEServers[0].Credential.(string)
	exp, sid, _ := strings.Cut(p.ICEServers[0].Username, ":")
	expiry, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || sid != p.SID || user != turncred.Password(turnSecret, p.ICEServers[0].Username) {
		t.Fatalf("page's TURN credentials %q / %q; want <expiry>:%s and its HMAC", p.ICEServers[0].Username, user, p.SID)
	}
	if lo, hi := opened.Add(10*time.Minute-time.Second).Unix(), time.Now().Add(10*time.Minute).Unix(); expiry < lo || expiry > hi {
		t.Errorf("credentials expire at %d; want 10 minutes after the page opened (%d to %d)", expiry, lo, hi)
	}

	// The first offer waits for the models to load, which on a loaded
	// machine takes longer than the page client's 30 s.
	p.HTTP.Timeout = 2 * time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	msgs, on := client.Messages(256)
	dctx, dcancel := context.WithTimeout(ctx, 2*time.Minute)
	c, err := client.Dial(dctx, client.Options{
		Width: 640, Height: 480, FPS: 15, IncludeLoopback: true, OnMessage: on,
		ICEServers: p.ICEServers, RelayOnly: p.RelayOnly,
	}, p.Signal())
	dcancel()
	if err != nil {
		t.Fatalf("dial through coturn: %v\nserver:\n%s\ncoturn:\n%s", err, s.stderr, turn.Log())
	}
	t.Cleanup(func() { c.Close() })
	select {
	case <-c.Connected():
	case <-ctx.Done():
		t.Fatalf("not connected through coturn\nserver:\n%s\ncoturn:\n%s", s.stderr, turn.Log())
	}
	pair, err := c.SelectedPair()
	if err != nil || pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay {
		t.Fatalf("selected pair %v (%v); want a relay candidate on the client's side", pair, err)
	}
	if !strings.HasPrefix(pair.Local.Address, "127.0.0.1") {
		t.Errorf("relay candidate %s; want coturn's relay address on 127.0.0.1", pair.Local)
	}

	out := react(ctx, t, c, msgs, clip(t, "neutral 8s"), clip(t, "HEAD_LEFT 30deg 1.5s; neutral 1s"), 600*time.Millisecond)
	if last := out[len(out)-1]; last.Type != "done" || last.Outcome != "success" {
		t.Fatalf("last message %+v; want done success through the relay\n%s", last, s.stderr)
	}
	code, got, _ := s.call(t, "GET", "/face/v1/active-liveness-sessions/"+p.SID, "")
	if res, _ := got["result"].(map[string]any); code != 200 || got["status"] != "FINISHED" || res["status"] != "success" {
		t.Fatalf("API after the capture: %d %v; want FINISHED, success", code, got)
	}
	// coturn saw the session's own username allocate.
	if log := turn.Log(); !strings.Contains(log, p.ICEServers[0].Username) {
		t.Errorf("coturn's log never names %q:\n%s", p.ICEServers[0].Username, log)
	}
}
