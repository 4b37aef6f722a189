package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/facegen"
)

// TestSessionWithVerifyImage: against a running server, a portrait as verify_image
// makes a session graded "high"; a picture without a face is refused with a 400 that
// says so; nothing of the face reaches the log.
func TestSessionWithVerifyImage(t *testing.T) {
	b := testPhoto(t, "mazie-hirono.jpg")
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_DATA_KEYS": testDataKey})
	body := `{"success_url":"https://shop.example/done","verify_image":"` + base64.StdEncoding.EncodeToString(b) + `"}`
	code, obj, _ := s.call(t, "POST", "/face/v1/passive-liveness-sessions", body)
	if code != 200 || obj["quality_for_recognition"] != "high" {
		t.Fatalf("portrait: got %d %v; want 200 with quality_for_recognition high", code, obj)
	}
	code, obj, _ = s.call(t, "GET", "/face/v1/passive-liveness-sessions/"+obj["sid"].(string), "")
	if code != 200 || obj["quality_for_recognition"] != "high" {
		t.Errorf("retrieve: got %d %v", code, obj)
	}
	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	var pb bytes.Buffer
	if err := png.Encode(&pb, blank); err != nil {
		t.Fatal(err)
	}
	body = `{"success_url":"https://shop.example/done","verify_image":"` + base64.StdEncoding.EncodeToString(pb.Bytes()) + `"}`
	code, obj, _ = s.call(t, "POST", "/face/v1/active-liveness-sessions", body)
	if code != 400 || obj["error_message"] != "verify_image: no face found" {
		t.Errorf("blank: got %d %v; want 400 verify_image: no face found", code, obj)
	}
	if log := s.stderr.String(); strings.Contains(log, "embedding") || strings.Contains(log, "verify_image\":\"") {
		t.Errorf("the log shows reference data:\n%s", log)
	}
}

// TestLiveVerifyEndToEnd: liveness with verify over the whole live path. A
// session created with the photo of the face the client then shows (rendered
// live by facegen, over pion) finishes live and identical; the same
// performance against another person's photo finishes live too, but says
// plainly that it was not that person: two separate verdicts.
func TestLiveVerifyEndToEnd(t *testing.T) {
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_DATA_KEYS": testDataKey})
	neutral := clip(t, "neutral 8s")
	turn := clip(t, "HEAD_LEFT 30deg 1.5s; neutral 1s")
	for _, tc := range []struct {
		reference string
		same      bool
	}{
		{facegen.DefaultFaceName, true},
		{"grace-hopper-1984.jpg", false},
	} {
		t.Run(tc.reference, func(t *testing.T) {
			b := testPhoto(t, tc.reference)
			p := livePageWith(t, s, `"gestures":["HEAD_LEFT"],"verify_image":"`+base64.StdEncoding.EncodeToString(b)+`"`)
			c, msgs, err := dialPage(t, p)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out := react(ctx, t, c, msgs, neutral, turn, 600*time.Millisecond)
			if last := out[len(out)-1]; last.Type != "done" || last.Outcome != "success" {
				t.Fatalf("last message %+v; want done success: liveness does not depend on identity\n%s", last, s.stderr)
			}
			code, got, _ := s.call(t, "GET", "/face/v1/active-liveness-sessions/"+p.SID, "")
			res, _ := got["result"].(map[string]any)
			vr, _ := res["verify_result"].(map[string]any)
			if code != 200 || got["status"] != "FINISHED" || vr == nil {
				t.Fatalf("API after the capture: %d %v; want FINISHED with a verify_result", code, got)
			}
			conf, _ := vr["match_confidence"].(float64)
			t.Logf("%s: verify_result %v", tc.reference, vr)
			if vr["is_identical"] != tc.same || (tc.same && conf <= 0.5) || (!tc.same && conf >= 0.5) {
				t.Errorf("verify_result %v; want is_identical %v with match_confidence on that side of 0.5", vr, tc.same)
			}
		})
	}
}

// testPhoto reads the portrait name of testdata/faces.
func testPhoto(t *testing.T, name string) []byte {
	t.Helper()
	photo, err := facegen.TestFace(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
