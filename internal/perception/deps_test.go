package perception

import (
	"os/exec"
	"strings"
	"testing"
)

// perception produces engines; the live capture consumes them through its
// own EngineFactory interface, adapted where the server wires the two. The
// producer importing its consumer was the bug this guards against.
func TestDoesNotImportItsConsumers(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/capture", "/internal/api", "/internal/web", "/internal/facegen"} {
			if strings.Contains(dep, banned) {
				t.Errorf("perception imports %s", dep)
			}
		}
	}
}
