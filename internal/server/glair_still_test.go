package server

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception/footage"
)

// TestGLAIRClientActiveLiveness: the official client's
// faceBio.activeLiveness({image, gestureCode}) against a running server,
// with real photos, a facegen frame of a head turned left, a blank picture
// and bad input.
func TestGLAIRClientActiveLiveness(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found; run `make test`, which installs Node.js")
	}
	dir, _ := filepath.Abs("../../test/glair")
	if _, err := os.Stat(filepath.Join(dir, "node_modules/@glair/vision/package.json")); err != nil {
		t.Fatalf("@glair/vision is not installed in %s; run `make test` (npm ci)", dir)
	}
	tmp := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pngOf := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
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
	cj, _ := json.Marshal(cases)
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey + ":glair-user:glair-pass"})
	out := filepath.Join(tmp, "report.json")
	cmd := exec.Command(node, "active.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LIVEGATE_URL="+s.url, "API_KEY="+testKey,
		"API_USERNAME=glair-user", "API_PASSWORD=glair-pass", "CASES="+string(cj), "OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node active.mjs: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
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
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("report: %v\n%s", err, raw)
	}
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
