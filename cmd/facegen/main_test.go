package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
)

func TestRunWritesClipTruthAndSheet(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "clip.y4m")
	sheet := filepath.Join(dir, "sheet.png")
	var stderr bytes.Buffer
	err := run([]string{"-script", "neutral 0.4s; HEAD_RIGHT 20deg 0.6s", "-out", out, "-contact-sheet", sheet, "-size", "320x240", "-fps", "10", "-cache", dir}, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	tr, err := facegen.ReadTruth(filepath.Join(dir, "clip.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if tr.NumFrames != 10 || tr.Width != 320 || tr.FPS != 10 || len(tr.Gestures) != 1 || tr.Gestures[0].Code != "HEAD_RIGHT" {
		t.Errorf("truth: %d frames %dx? %d fps gestures %+v", tr.NumFrames, tr.Width, tr.FPS, tr.Gestures)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	header := int64(len("YUV4MPEG2 W320 H240 F10:1 Ip A1:1 C420\n"))
	if want := header + 10*int64(len("FRAME\n")+320*240*3/2); st.Size() != want {
		t.Errorf("video size %d; want %d", st.Size(), want)
	}
	if b, err := os.ReadFile(sheet); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("contact sheet: %v", err)
	}
}

func TestRunRejectsBadScript(t *testing.T) {
	var stderr bytes.Buffer
	err := run([]string{"-script", "neutral 1s; HEAD_LEFT 99deg 1s", "-out", filepath.Join(t.TempDir(), "x.y4m")}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "col 23") {
		t.Errorf("got %v; want a script error at col 23", err)
	}
}
