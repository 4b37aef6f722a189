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
)

// runGLAIRScript runs one of test/glair's drivers of the official
// @glair/vision client (script, which reads CASES and writes its report of
// {ok, body} per case name) against a server started with a Basic-auth
// key, and decodes the report into report.
func runGLAIRScript(t *testing.T, script string, cases, report any) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found; run `make test`, which installs Node.js")
	}
	dir, _ := filepath.Abs("../../test/glair")
	if _, err := os.Stat(filepath.Join(dir, "node_modules/@glair/vision/package.json")); err != nil {
		t.Fatalf("@glair/vision is not installed in %s; run `make test` (npm ci)", dir)
	}
	cj, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey + ":glair-user:glair-pass"})
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LIVEGATE_URL="+s.url, "API_KEY="+testKey,
		"API_USERNAME=glair-user", "API_PASSWORD=glair-pass", "CASES="+string(cj), "OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, report); err != nil {
		t.Fatalf("report: %v\n%s", err, raw)
	}
}

// tempWriter returns a function that writes a file into a fresh temporary
// directory and returns its path.
func tempWriter(t *testing.T) func(name string, b []byte) string {
	tmp := t.TempDir()
	return func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// pngBytes encodes img as PNG.
func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
