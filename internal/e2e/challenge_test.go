package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// These tests hold the page to the rule of issue 16: a gesture passes only
// when it starts after the server's instruction, within a person's
// reaction time. The reactive camera passes; a recording does not.

// TestFlowPaced runs both sides of the rule on one stack (each stack loads
// its models, which is slow under -race).
func TestFlowPaced(t *testing.T) {
	s := newStack(t, stackOptions{real: true})
	t.Run("reactive two gestures", func(t *testing.T) { reactiveTwoGestures(t, s) })
	t.Run("replay never passes", func(t *testing.T) { replayNeverPasses(t, s) })
}

// reactiveTwoGestures: the camera answers two instructions in turn, a head
// turn and a tilt, and the session succeeds.
func reactiveTwoGestures(t *testing.T, s *stack) {
	sid, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_RIGHT", "HEAD_UP"}})
	b := openReactiveBrowser(t, reaction{Delay: reactionDelay})
	startCapture(t, b, pageURL)
	waitInstruction(t, b, "HEAD_RIGHT", firstInstructionTimeout)
	waitInstruction(t, b, "HEAD_UP", 20*time.Second)
	waitScreen(t, b, "screen-success", 30*time.Second)
	checkReacted(t, cameraLog(t, b), "HEAD_RIGHT", "HEAD_UP")
	code, out := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid, nil)
	if code != http.StatusOK || out["status"] != "FINISHED" || strings.Count(jsonText(out["result"]), `"MATCH"`) < 2 {
		t.Errorf("the API says %d %s; want FINISHED with both gestures matched", code, jsonText(out))
	}
	noProblems(t, b)
}

// replayNeverPasses plays a looping recording of every head gesture as the
// camera, the replay attack of issue 16, and presses Try again while
// attempts remain: no attempt may pass.
func replayNeverPasses(t *testing.T, s *stack) {
	const attempts = 3
	sid, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_LEFT"}, "max_attempts": attempts})
	b := openBrowser(t, clipCamera, facegenClip(t, clipReplay))
	startCapture(t, b, pageURL)
	for n := 1; n <= attempts; n++ {
		state := ""
		err := b.Run(30*time.Second, chromedp.Poll[chromedp.Void](
			`["attempt-failed", "failed", "success"].includes(document.getElementById("capture").dataset.state)`))
		if err != nil {
			t.Fatalf("attempt %d: no outcome: %v (state %s)", n, err, evalString(b, `document.getElementById("capture").dataset.state`))
		}
		state = evalString(b, `document.getElementById("capture").dataset.state`)
		t.Logf("attempt %d: %s (%s)", n, state, evalString(b, `document.getElementById("fail-reason").textContent`))
		if state == "success" {
			t.Fatalf("attempt %d: the replayed recording passed", n)
		}
		if want := map[bool]string{true: "failed", false: "attempt-failed"}[n == attempts]; state != want {
			t.Fatalf("attempt %d ended on %s; want %s", n, state, want)
		}
		if n < attempts {
			b.MustRun("try again", chromedp.Click(chromedp.CSS(id("btn-try-again"))))
		}
	}
	_, out := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid, nil)
	if out["status"] != "FINISHED" || strings.Contains(jsonText(out["result"]), `"gesture_status":"MATCH"`) {
		t.Errorf("the API says %s; want FINISHED without a match", jsonText(out))
	}
	_, audit := s.apiCall("GET", "/face/v1/active-liveness-sessions/"+sid+"/audit", nil)
	if n := strings.Count(jsonText(audit), `"event":"attempt_started"`); n != attempts {
		t.Errorf("audit has %d attempt_started entries; want %d:\n%s", n, attempts, jsonText(audit))
	}
	noProblems(t, b)
}
