package live

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the session service free of OpenCV (the real engines
// come in through EngineFactory, from package perception) and of the HTTP
// surfaces that call it.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/livegate/livegate/internal/capture/live").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"gocv.io/", "/internal/perception", "/internal/api", "/internal/web", "/internal/facegen"} {
			if strings.Contains(dep, banned) {
				t.Errorf("live imports %s", dep)
			}
		}
	}
}
