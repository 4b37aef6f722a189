package web_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPagesStayLight proves that the page packages do not pull in cgo
// (OpenCV, libvpx) or WebRTC, so that they build and test in seconds.
func TestPagesStayLight(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}",
		"github.com/livegate/livegate/internal/web", "github.com/livegate/livegate/internal/demo").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"gocv.io/", "/internal/codec/", "/internal/capture", "/internal/gesture", "github.com/pion/", "/internal/api"} {
			if strings.Contains(dep, banned) {
				t.Errorf("the page packages import %s", dep)
			}
		}
	}
}
