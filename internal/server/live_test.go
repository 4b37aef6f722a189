package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception/footage"
)

// clip renders (cached by facegen) and encodes a 640×480 clip of script.
func clip(t *testing.T, script string) *client.Clip {
	t.Helper()
	face, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	cc := footage.Render(t, "", facegen.Params{Face: face, Script: script, Width: 640, Height: 480, FPS: 15, Seed: 3, NoBlinks: true})
	frames, _, err := facegen.ReadY4M(cc.Video)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.EncodeClip(frames, 15, 15*6)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// livePage creates a session asking gestures and opens its page.
func livePage(t *testing.T, s *server, gestures string) *client.Page {
	t.Helper()
	return livePageWith(t, s, `"gestures":[`+gestures+`]`)
}

// livePageWith creates an active session with the given extra JSON members
// (after the success and cancel URLs) and opens its page.
func livePageWith(t *testing.T, s *server, members string) *client.Page {
	t.Helper()
	code, obj, _ := s.call(t, "POST", "/face/v1/active-liveness-sessions",
		`{"success_url":"https://shop.example/done?order=7","cancel_url":"https://shop.example/back",`+members+`}`)
	if code != 200 {
		t.Fatalf("create: %d %v", code, obj)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := client.OpenPage(ctx, s.url+"/s/"+obj["sid"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func dialPage(t *testing.T, p *client.Page) (*client.Client, <-chan []byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	msgs, on := client.Messages(256)
	c, err := client.Dial(ctx, client.Options{Width: 640, Height: 480, FPS: 15, IncludeLoopback: true, OnMessage: on}, p.Signal())
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, msgs, nil
}

// react plays the session as a person would: a neutral face from ready
// on, the gesture clip only reaction after the instruction arrives. It
// returns the messages up to done (or closing).
func react(ctx context.Context, t *testing.T, c *client.Client, msgs <-chan []byte, neutral, gesture *client.Clip, reaction time.Duration) []client.Message {
	t.Helper()
	var out []client.Message
	var stop context.CancelFunc
	var wg sync.WaitGroup
	play := func(clip *client.Clip) {
		if stop != nil {
			stop()
			wg.Wait()
		}
		var pctx context.Context
		pctx, stop = context.WithCancel(ctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.PlayClip(pctx, clip)
		}()
	}
	defer func() {
		if stop != nil {
			stop()
			wg.Wait()
		}
	}()
	var turn <-chan time.Time
	start := time.Now()
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("no done before the deadline; messages %+v", out)
		case <-turn:
			turn = nil
			play(gesture)
		case raw := <-msgs:
			var m client.Message
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("message %s: %v", raw, err)
			}
			m.At = time.Since(start)
			out = append(out, m)
			switch m.Type {
			case "hello":
				if err := c.Send([]byte(`{"v":1,"type":"ready"}`)); err != nil {
					t.Fatal(err)
				}
				play(neutral)
			case "instruction":
				turn = time.After(reaction)
			case "done", "closing", "attempt_failed":
				return out
			}
		}
	}
}

func TestLiveCaptureEndToEnd(t *testing.T) {
	// The live service is paced (never gesture.ChallengeConfig.Unpaced):
	// the page waits, still, for the instruction, and the turn played
	// 600 ms after it arrives passes.
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey})
	p := livePage(t, s, `"HEAD_LEFT"`)
	c, msgs, err := dialPage(t, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The neutral clip outlasts the wait: its held last frame would read
	// as a frozen picture (and rightly fail the liveness fusion).
	out := react(ctx, t, c, msgs, clip(t, "neutral 8s"), clip(t, "HEAD_LEFT 30deg 1.5s; neutral 1s"), 600*time.Millisecond)
	var waitAt, instrAt time.Duration
	for _, m := range out {
		switch m.Type {
		case "wait":
			waitAt = m.At
		case "instruction":
			instrAt = m.At
		}
	}
	last := out[len(out)-1]
	if last.Type != "done" || last.Outcome != "success" || last.Redirect != "https://shop.example/done?order=7&sid="+p.SID {
		t.Fatalf("last message %+v; want done success to success_url with sid\n%s", last, s.stderr)
	}
	if waitAt == 0 || instrAt-waitAt < 2*time.Second {
		t.Errorf("wait at %v, instruction at %v; want the instruction after a wait of 2 s at least", waitAt, instrAt)
	}
	code, got, _ := s.call(t, "GET", "/face/v1/active-liveness-sessions/"+p.SID, "")
	res, _ := got["result"].(map[string]any)
	inner, _ := res["result"].(map[string]any)
	if code != 200 || got["status"] != "FINISHED" || res["status"] != "success" || inner["gesture_status"] != "MATCH" || inner["detected_gesture"] != "HEAD_LEFT" {
		t.Fatalf("API after the capture: %d %v; want FINISHED, success, MATCH, HEAD_LEFT", code, got)
	}
	if _, ok := res["liveness_score"].(float64); !ok {
		t.Errorf("result %v lacks liveness_score", res)
	}
	_, metrics := get(t, s.url+"/metrics")
	for _, want := range []string{`livegate_capture_attempts_total{outcome="MATCH"} 1`, `livegate_capture_frames_total{fate="decoded"}`, `livegate_capture_live_connections`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestLiveCaptureCapAndShutdown(t *testing.T) {
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_MAX_LIVE": "1"})
	first := livePage(t, s, `"HEAD_LEFT"`)
	c, msgs, err := dialPage(t, first)
	if err != nil {
		t.Fatal(err)
	}
	// A second session finds the server full.
	second := livePage(t, s, `"HEAD_LEFT"`)
	_, _, err = dialPage(t, second)
	var he *client.HTTPError
	if !errors.As(err, &he) || he.Status != 503 || he.RetryAfterSeconds() < 1 || !strings.Contains(he.Body, `"status":"failed"`) {
		t.Fatalf("offer past the cap: %v; want 503 with Retry-After in the API's error format", err)
	}
	// A wrong token is refused before anything else.
	bad := *second
	bad.CSRFToken = "nope"
	if _, _, err := dialPage(t, &bad); !errors.As(err, &he) || he.Status != 403 {
		t.Fatalf("offer with a bad token: %v; want 403", err)
	}
	// Shutdown tells the live page first.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	neutral := clip(t, "neutral 1s")
	out, err := client.Run(ctx, c, msgs, client.RunOptions{Clips: []*client.Clip{neutral}, OnMessage: func(m client.Message) {
		if m.Type == "instruction" {
			go s.stop()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Result != "closing:shutdown" {
		t.Fatalf("outcome %q (%v); want closing:shutdown", out.Result, out.Messages)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.stderr.String(), "handed_back") && !strings.Contains(s.stderr.String(), "live: connection ended") {
		t.Logf("server log:\n%s", s.stderr)
	}
}
