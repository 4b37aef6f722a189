package gesture

import (
	"os/exec"
	"strings"
	"testing"
)

// Package gesture must stay free of cgo so that the API and capture
// packages can use it without OpenCV: the detector comes in through
// FaceDetector (perception.Detector is one), never by import.
func TestNoCgoDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.CgoFiles}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, cgo, _ := strings.Cut(l, " ")
		if strings.Contains(path, "gocv") || strings.HasSuffix(path, "/internal/perception") || (cgo != "[]" && strings.Contains(path, "livegate")) {
			t.Errorf("gesture depends on %s (cgo files %s)", path, cgo)
		}
	}
}
