package liveness_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly proves that the fusion and the evaluation stay
// pure Go on the standard library alone: they judge numbers the capture side
// and the perception package measure, so they build and test in seconds and
// never need OpenCV, libvpx or WebRTC.
func TestStandardLibraryOnly(t *testing.T) {
	self := []string{"github.com/livegate/livegate/internal/liveness", "github.com/livegate/livegate/internal/pad"}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}}", self[0], self[1]).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, cgo, _ := strings.Cut(line, " ")
		if path == self[0] || path == self[1] {
			if cgo != "0" {
				t.Errorf("%s has cgo files", path)
			}
			continue
		}
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			t.Errorf("liveness or pad imports %s, outside the standard library", path)
		}
	}
}
