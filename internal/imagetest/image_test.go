package imagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// image and container are the test's own names, so that it neither
	// replaces `make image`'s localhost/livegate:latest nor trips over it;
	// the layers are shared, so a build after `make image` is warm.
	image     = "localhost/livegate:imagetest"
	container = "livegate-imagetest"
	apiKey    = "imagetest-key-0123456789abcdef"
)

// TestImage builds the image, checks its configuration (non-root user,
// health check, entry point), starts the server from the image's root
// filesystem with `buildah run --isolation chroot`, and asks it what a
// deployment asks: /healthz, the image's own HEALTHCHECK command, a session
// created through the API and that session's page.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a container image: minutes")
	}
	requireTools(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	build := exec.Command(filepath.Join(root, "scripts/image.sh"))
	build.Dir = root
	build.Env = append(os.Environ(), "IMAGE="+image)
	out, err := build.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/image.sh: %v\n%s", err, out)
	}
	size, _, _ := strings.Cut(buildah(t, "images", "--format", "{{.Size}}", image), "\n")
	t.Logf("image built in %s; size: %s", time.Since(start).Round(time.Second), size)

	checkConfig(t)

	removeContainer(t) // left over from an interrupted run
	buildah(t, "from", "--pull-never", "--name", container, image)
	t.Cleanup(func() { removeContainer(t) })

	// The image itself: no compiler, no Go toolchain, every shared library
	// of the binary present, and not root.
	if out := buildah(t, "run", "--isolation", "chroot", container, "--", "ldd", "/usr/local/bin/livegate"); strings.Contains(out, "not found") {
		t.Errorf("the binary misses shared libraries in the image:\n%s", out)
	}
	if uid := buildah(t, "run", "--isolation", "chroot", container, "--", "id", "-u"); uid != "10001" {
		t.Errorf("the image runs as uid %q; want 10001", uid)
	}
	for _, p := range []string{"/usr/local/go", "/usr/bin/gcc", "/usr/bin/cc", "/src"} {
		if out, err := buildahRun(container, nil, "test", "!", "-e", p); err != nil {
			t.Errorf("the runtime image holds %s (%v) %s", p, err, out)
		}
	}

	addr := freeAddr(t)
	env := []string{
		"LIVEGATE_ADDR=" + addr,
		"LIVEGATE_API_KEYS=" + apiKey,
		"LIVEGATE_LOG_LEVEL=warn",
	}
	startServer(t, env)
	base := "http://" + addr

	if err := waitHealthy(base, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	// The image's HEALTHCHECK command, as an engine would run it.
	if out, err := buildahRun(container, env, "/usr/local/bin/livegate", "-healthcheck"); err != nil {
		t.Errorf("livegate -healthcheck in the image: %v\n%s", err, out)
	}

	sid, url := createSession(t, base)
	if want := "/s/" + sid; !strings.HasSuffix(url, want) {
		t.Errorf("session url %q; want it to end in %q", url, want)
	}
	resp, err := http.Get(base + "/s/" + sid)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /s/%s: %d\n%s", sid, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("page Content-Type %q; want text/html", ct)
	}
	// A new session's page is its consent screen, with the Start button.
	for _, id := range []string{`data-testid="screen-consent"`, `data-testid="btn-start"`} {
		if !bytes.Contains(body, []byte(id)) {
			t.Errorf("the session page has no %s:\n%.2000s", id, body)
		}
	}
}

// requireTools skips the test where it cannot run, except in CI, where the
// image test is required: a missing tool fails it.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"buildah", "debootstrap"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("the image test needs %s (scripts/deps.sh test installs the tools)", strings.Join(missing, ", "))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// checkConfig reads the image's configuration as an engine would.
func checkConfig(t *testing.T) {
	t.Helper()
	var info struct {
		Docker struct {
			Config struct {
				User        string
				Entrypoint  []string
				Healthcheck *struct{ Test []string }
			} `json:"config"`
		}
	}
	if err := json.Unmarshal([]byte(buildah(t, "inspect", "--type", "image", image)), &info); err != nil {
		t.Fatalf("buildah inspect: %v", err)
	}
	c := info.Docker.Config
	if c.User != "10001" {
		t.Errorf("image user %q; want 10001 (not root)", c.User)
	}
	if want := []string{"/usr/local/bin/livegate"}; !slices.Equal(c.Entrypoint, want) {
		t.Errorf("entry point %q; want %q", c.Entrypoint, want)
	}
	if c.Healthcheck == nil {
		t.Errorf("the image has no HEALTHCHECK")
	} else if want := []string{"CMD", "/usr/local/bin/livegate", "-healthcheck"}; !slices.Equal(c.Healthcheck.Test, want) {
		t.Errorf("HEALTHCHECK %q; want %q", c.Healthcheck.Test, want)
	}
}

// startServer runs the image's entry point in the working container, in its
// own process group so that the stop reaches buildah's children too.
func startServer(t *testing.T, env []string) {
	t.Helper()
	args := []string{"run", "--isolation", "chroot"}
	for _, e := range env {
		args = append(args, "--env", e)
	}
	args = append(args, container, "--", "/usr/local/bin/livegate")
	cmd := exec.Command("buildah", args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM to the whole group: buildah's own processes end on it
		// too, and with a status of their own, so only the stop is checked.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Errorf("server from the image still ran 30 s after SIGTERM")
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})
}

func waitHealthy(base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("/healthz of the server from the image did not answer 200 in %s: %v", limit, last)
}

func createSession(t *testing.T, base string) (sid, url string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/face/v1/active-liveness-sessions",
		strings.NewReader(`{"success_url":"https://shop.example/done","cancel_url":"https://shop.example/back","number_of_gestures":2}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create session: %d\n%s", resp.StatusCode, body)
	}
	var got struct{ SID, URL string }
	if err := json.Unmarshal(body, &got); err != nil || got.SID == "" {
		t.Fatalf("create session: %v in %s", err, body)
	}
	return got.SID, got.URL
}

// buildah runs buildah and returns its trimmed standard output; it fails the
// test on an error.
func buildah(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("buildah", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("buildah %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// buildahRun runs a command in the working container.
func buildahRun(ctr string, env []string, argv ...string) (string, error) {
	args := []string{"run", "--isolation", "chroot"}
	for _, e := range env {
		args = append(args, "--env", e)
	}
	args = append(append(args, ctr, "--"), argv...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "buildah", args...).CombinedOutput()
	return string(out), err
}

func removeContainer(t *testing.T) {
	t.Helper()
	cmd := exec.Command("buildah", "rm", container)
	if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), "container not known") && !strings.Contains(string(out), "not known") {
		t.Logf("buildah rm %s: %v: %s", container, err, out)
	}
}

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
