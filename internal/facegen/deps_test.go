package facegen

import (
	"os/exec"
	"strings"
	"testing"
)

// Package facegen is pure Go: it finds a photo's landmarks through the
// Landmarker its caller passes (perception's, for the engine's models) and
// draws its contact sheet without OpenCV, so nothing it imports may declare
// cgo or be gocv.
func TestNoCgoDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.CgoFiles}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, cgo, _ := strings.Cut(l, " ")
		if strings.Contains(path, "gocv") || strings.HasSuffix(path, "/internal/perception") || (cgo != "[]" && strings.Contains(path, "livegate")) {
			t.Errorf("facegen depends on %s (cgo files %s)", path, cgo)
		}
	}
}
