package server

import (
	"context"
	"errors"
	"strings"
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
	code, obj, _ := s.call(t, "POST", "/face/v1/active-liveness-sessions",
		`{"success_url":"https://shop.example/done?order=7","cancel_url":"https://shop.example/back","gestures":[`+gestures+`]}`)
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

func TestLiveCaptureEndToEnd(t *testing.T) {
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey})
	p := livePage(t, s, `"HEAD_LEFT"`)
	c, msgs, err := dialPage(t, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := client.Run(ctx, c, msgs, client.RunOptions{Clips: []*client.Clip{clip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s")}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Result != "success" || out.Redirect != "https://shop.example/done?order=7&sid="+p.SID {
		t.Fatalf("outcome %q redirect %q; want success to success_url with sid", out.Result, out.Redirect)
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
