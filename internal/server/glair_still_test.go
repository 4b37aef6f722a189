package server

import (
	"image"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception/footage"
)

// TestGLAIRClientActiveLiveness: the official client's
// faceBio.activeLiveness({image, gestureCode}) against a running server,
// with real photos, a facegen frame of a head turned left, a blank picture
// and bad input.
func TestGLAIRClientActiveLiveness(t *testing.T) {
	write := tempWriter(t)
	pngOf := func(img image.Image) []byte { return pngBytes(t, img) }
	face, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	turned := write("turned.png", pngOf(facegenFrame(t, face, "neutral 1s; HEAD_LEFT 30deg 1.5s", 25)))
	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range blank.Pix {
		blank.Pix[i] = 120
	}
	big := make([]byte, 5<<20+1)
	copy(big, pngOf(blank))
	type tc struct {
		Name        string `json:"name"`
		Image       string `json:"image"`
		GestureCode string `json:"gestureCode"`
	}
	cases := []tc{
		{"frontalOpen", face, "HEAD_11"},
		{"frontalLeft", face, "HEAD_LEFT"},
		{"turnedLeft", turned, "HEAD_LEFT"},
		{"blank", write("blank.png", pngOf(blank)), "HEAD_11"},
		{"unknownGesture", face, "HEAD_SIDEWAYS"},
		{"notImage", write("note.txt", []byte("not a picture at all")), "HEAD_11"},
		{"tooLarge", write("big.png", big), "HEAD_11"},
	}
	var r map[string]struct {
		OK   bool `json:"ok"`
		Body struct {
			Status       string `json:"status"`
			ErrorMessage string `json:"error_message"`
			Result       struct {
				GestureStatus   string `json:"gesture_status"`
				DetectedGesture string `json:"detected_gesture"`
			} `json:"result"`
		} `json:"body"`
	}
	runGLAIRScript(t, "active.mjs", cases, &r)
	for name, want := range map[string]struct {
		ok                                 bool
		status, gesture, detected, message string
	}{
		"frontalOpen":    {true, "success", "MATCH", "HEAD_11", ""},
		"frontalLeft":    {true, "success", "NOT_MATCH", "", ""},
		"turnedLeft":     {true, "success", "MATCH", "HEAD_LEFT", ""},
		"blank":          {true, "failed", "face not detected", "", ""},
		"unknownGesture": {false, "failed", "", "", `unknown gesture-code "HEAD_SIDEWAYS"`},
		"notImage":       {false, "failed", "", "", "image must be a JPEG or PNG picture"},
		"tooLarge":       {false, "failed", "", "", "image must be at most 5242880 bytes"},
	} {
		got, ok := r[name]
		b := got.Body
		if !ok || got.OK != want.ok || b.Status != want.status || b.Result.GestureStatus != want.gesture ||
			(want.detected != "" && b.Result.DetectedGesture != want.detected) || b.ErrorMessage != want.message {
			t.Errorf("%s: got %+v; want %+v", name, got, want)
		}
	}
}

// facegenFrame renders (or finds in facegen's cache) a clip of face and
// returns frame i's luma.
func facegenFrame(t *testing.T, face, script string, i int) *image.Gray {
	t.Helper()
	c := footage.Render(t, "", facegen.Params{Face: face, Script: script, Seed: 1, NoSway: true, NoBlinks: true})
	return footage.Frame(t, c.Video, i)
}
