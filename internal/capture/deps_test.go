package capture

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports guards the rooms of docs/architecture.md: capture never
// imports OpenCV, the REST API or the pages (it meets the engine at a grey
// frame); the test client does not import capture (it speaks to it only
// through SDP, as a browser does); vpx imports only the standard library.
func TestImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cases := []struct {
		pkg       string
		forbidden []string
		onlyStd   bool
	}{
		{pkg: "github.com/livegate/livegate/internal/capture", forbidden: []string{"gocv.io/", "/internal/api", "/internal/web"}},
		{pkg: "github.com/livegate/livegate/internal/capture/client", forbidden: []string{"gocv.io/", "/internal/capture\n"}},
		{pkg: "github.com/livegate/livegate/internal/codec/vpx", onlyStd: true},
	}
	for _, c := range cases {
		out, err := exec.Command("go", "list", "-deps", c.pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", c.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == c.pkg {
				continue
			}
			for _, f := range c.forbidden {
				if strings.Contains(dep+"\n", f) {
					t.Errorf("%s imports %s", c.pkg, dep)
				}
			}
			if c.onlyStd && strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") {
				t.Errorf("%s imports non-standard %s", c.pkg, dep)
			}
		}
	}
}
