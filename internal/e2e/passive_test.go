package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/browsertest"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception/footage"
)

// passiveNeutral is the fake camera's clip of a passive session: the
// default face looking at the camera with natural sway, longer than the
// attempt, so that Chromium's loop of the file (a looped stream is an
// injection cue) does not come round during it.
const passiveNeutral = "neutral 8s"

// passiveSession creates a passive-liveness session through the API and
// returns its sid and the end user's URL.
func (s *stack) passiveSession() (sid, pageURL string) {
	s.t.Helper()
	code, out := s.apiCall("POST", "/face/v1/passive-liveness-sessions", map[string]any{
		"success_url": s.shop + "/done?order=7",
		"cancel_url":  s.shop + "/back",
	})
	if code != http.StatusOK {
		s.t.Fatalf("create passive session: %d %v", code, out)
	}
	sid, _ = out["sid"].(string)
	pageURL, _ = out["url"].(string)
	if sid == "" || !strings.HasPrefix(pageURL, s.base+"/s/") {
		s.t.Fatalf("create passive session: %v", out)
	}
	return sid, pageURL
}

// A passive session end to end in Chromium: consent → camera → "look at
// the camera and hold still" while the server collects its burst (the
// ring fills) → success → redirect to success_url with the sid, and the
// API's result in GLAIR's passive shape with livegate's liveness fields.
func TestFlowPassiveSession(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	sid, pageURL := s.passiveSession()
	b := openBrowser(t, clipCamera, facegenClip(t, passiveNeutral))

	start := time.Now()
	startCapture(t, b, pageURL)
	waitScreen(t, b, "screen-live", 10*time.Second)
	if err := b.Run(15*time.Second, chromedp.WaitVisible(chromedp.CSS(`#capture[data-passive="true"][data-burst] `+id("instruction")))); err != nil {
		t.Fatalf("no burst shown: %v (state %s)", err, evalString(b, `document.getElementById("capture").dataset.state`))
	}
	burstShown := time.Since(start)
	b.Screenshot(browsertest.OutDir(t), "passive-burst-390x844.png", 390, 844, false)
	if got := b.Text(id("instruction")); got != "Look at the camera and hold still" {
		t.Errorf("instruction during the burst = %q", got)
	}
	if got := b.Text(id("step")); got != "" {
		t.Errorf("step = %q during a passive burst; want none", got)
	}
	waitScreen(t, b, "screen-success", 20*time.Second)
	t.Logf("Start pressed → burst shown %v → success %v", burstShown.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	shots(t, b, "passive-success")
	if err := b.Run(20*time.Second, chromedp.WaitVisible(chromedp.CSS(id("shop-done")))); err != nil {
		t.Fatalf("no redirect to success_url after success: %v (at %s)", err, b.Location())
	}
	if got, want := b.Location(), s.shop+"/done?order=7&sid="+sid; got != want {
		t.Errorf("landed on %s; want %s", got, want)
	}

	code, out := s.apiCall("GET", "/face/v1/passive-liveness-sessions/"+sid, nil)
	res, _ := out["result"].(map[string]any)
	inner, _ := res["result"].(map[string]any)
	t.Logf("the API says %s", jsonText(out["result"]))
	if code != http.StatusOK || out["status"] != "FINISHED" || res["status"] != "success" {
		t.Fatalf("the API says %d %s; want FINISHED success", code, jsonText(out))
	}
	spoof, ok := inner["spoof_percentage"].(float64)
	if !ok || spoof < 0 || spoof > 0.5 || inner["status"] != "LOW" {
		t.Errorf("result %v; want spoof_percentage ≤ 0.5 and LOW", inner)
	}
	score, _ := res["liveness_score"].(float64)
	if score < 50 || res["attack_type"] != nil {
		t.Errorf("liveness_score %v attack_type %v; want ≥ 50 and null", res["liveness_score"], res["attack_type"])
	}
	if want := 1 - score/100; spoof < want-1e-4 || spoof > want+1e-4 {
		t.Errorf("spoof_percentage %v; want 1 − liveness_score/100 = %v", spoof, want)
	}
	l, _ := res["liveness"].(map[string]any)
	var model map[string]any
	for _, sig := range asSlice(l["signals"]) {
		if m, _ := sig.(map[string]any); m["name"] == "model" {
			model = m
		}
	}
	if ms, _ := model["score"].(float64); ms < 50 {
		t.Errorf("model signal %v; want run on the burst's frames and ≥ 50", model)
	}
	for _, k := range []string{"gesture_status", "detected_gesture", "gestures"} {
		if _, ok := inner[k]; ok {
			t.Errorf("passive result has %s: %v", k, inner)
		}
	}
	noProblems(t, b)
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// A frozen picture in the fake camera (facegen's still attack: one frame,
// played again and again) never passes a passive session in the browser:
// the page is sent on as for any failure, and the API says failed with the
// frozen run as the decisive signal and a HIGH spoof band.
func TestFlowPassiveFrozenFrameFails(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	sid, pageURL := s.passiveSession()
	face, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	clip := footage.Render(t, "", facegen.Params{Face: face, Script: passiveNeutral, Width: 640, Height: 480, FPS: 15,
		Seed: 3, NoBlinks: true, Attack: facegen.AttackStill}).Video
	b := openBrowser(t, clipCamera, clip)

	startCapture(t, b, pageURL)
	// The failed screen shows for 2.5 s before the page moves on; the
	// redirect and the API's result are what this test holds to.
	if err := b.Run(40*time.Second, chromedp.WaitVisible(chromedp.CSS(id("shop-done")))); err != nil {
		t.Fatalf("no redirect to success_url after the failure: %v (at %s)", err, b.Location())
	}
	code, out := s.apiCall("GET", "/face/v1/passive-liveness-sessions/"+sid, nil)
	res, _ := out["result"].(map[string]any)
	inner, _ := res["result"].(map[string]any)
	l, _ := res["liveness"].(map[string]any)
	t.Logf("the API says %s", jsonText(out["result"]))
	if code != http.StatusOK || out["status"] != "FINISHED" || res["status"] != "failed" {
		t.Fatalf("the API says %d %s; want FINISHED failed", code, jsonText(out))
	}
	if score, _ := res["liveness_score"].(float64); score >= 50 || res["attack_type"] == nil || l["decisive"] != "frozen" {
		t.Errorf("liveness_score %v attack_type %v decisive %v; want < 50, an attack type, frozen", res["liveness_score"], res["attack_type"], l["decisive"])
	}
	if inner["status"] != "HIGH" {
		t.Errorf("result %v; want the HIGH band", inner)
	}
	noProblems(t, b)
}
