package server

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
)

// TestSessionWithVerifyImage: against a running server, a portrait as verify_image
// makes a session graded "high"; a picture without a face is refused with a 400 that
// says so; nothing of the face reaches the log.
func TestSessionWithVerifyImage(t *testing.T) {
	photo, err := facegen.TestFace("mazie-hirono.jpg")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey})
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
