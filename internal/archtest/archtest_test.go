package archtest

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"internal/web", Module + "/internal/web", true},
		{"internal/web", Module + "/internal/web/i18n", false},
		{"internal/web/...", Module + "/internal/web/i18n", true},
		{"internal/web/...", Module + "/internal/web", true},
		{"internal/web/...", Module + "/internal/webx", false},
		{"gocv.io/", "gocv.io/x/gocv", true},
		{"github.com/pion/", "github.com/pion/webrtc/v4", true},
		{"non-standard", "github.com/redis/go-redis/v9", true},
		{"non-standard", "net/http", false},
		{"non-standard", "vendor/golang.org/x/net/idna", false},
		{"non-standard", Module + "/internal/session", false},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.path); got != c.want {
			t.Errorf("Match(%q, %q) = %v; want %v", c.pattern, c.path, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	g := Graph{
		Module + "/internal/web": {ImportPath: Module + "/internal/web", Deps: []string{"net/http", "gocv.io/x/gocv"}},
		Module + "/internal/api": {ImportPath: Module + "/internal/api", Deps: []string{"net/http"}},
	}
	vs, err := g.Check([]Rule{{Pkgs: []string{"internal/web", "internal/api"}, Forbid: []string{"gocv.io/"}, Why: "no cgo"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Pkg != Module+"/internal/web" || vs[0].Dep != "gocv.io/x/gocv" {
		t.Errorf("violations: got %v; want internal/web → gocv only", vs)
	}
	if _, err := g.Check([]Rule{{Pkgs: []string{"internal/gone"}, Why: "stale"}}); err == nil {
		t.Error("a rule matching no package: got no error; want one")
	}
}
