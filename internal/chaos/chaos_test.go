package chaos_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/livegate/livegate/internal/capture/client"
)

// The test's budget: sessions expire after expiresIn, and every wait below
// is bounded, so that the whole test ends in about three minutes on a
// loaded 2-core machine.
const (
	expiresIn = 60 // seconds, the sessions' expires_in_seconds (the API's minimum)
	apiKey    = "chaos_0123456789abcdef01"
	perClient = 3               // sessions per livegate-client -n run
	stagger   = 4 * time.Second // between its sessions' starts, so that some are live when another ends
)

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found from the test's directory: %v", err)
	}
	return dir
}

// needRedisServer finds redis-server: absent, the test fails (CI installs
// it; scripts/deps.sh test), it never skips.
func needRedisServer(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found (apt-get install redis-server; `make test` installs it): %v", err)
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func build(t *testing.T, dir, out, pkg string) string {
	t.Helper()
	bin := filepath.Join(out, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return bin
}

// proc is a child process whose output goes to a file, shown when the test
// fails.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func start(t *testing.T, name string, env []string, logDir string, bin string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("--- %s log (tail) ---\n%s", name, b)
		}
	})
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// redisServer is a redis-server of the test's own, with the append-only
// file on, so that a clean shutdown and restart keeps every key.
type redisServer struct {
	bin, dir string
	port     int
	p        *proc
}

func (r *redisServer) start(t *testing.T) {
	t.Helper()
	r.p = start(t, "redis", os.Environ(), r.dir, r.bin,
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
		"--appendfsync", "always", "--dir", r.dir)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := r.do("PING"); err == nil && strings.HasPrefix(resp, "+PONG") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on port %d did not answer PING", r.port)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// do sends one inline command and returns the first line of the answer.
func (r *redisServer) do(cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", r.port), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\r\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return line, err
}

// stop shuts Redis down as an orchestrator's SIGTERM does: it writes the
// append-only file and exits.
func (r *redisServer) stop(t *testing.T) {
	t.Helper()
	_ = r.p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("redis-server did not exit on SIGTERM")
	}
}

// instance is one livegate server process.
type instance struct {
	name, base string
	env        []string
	bin, logs  string
	p          *proc
}

func (in *instance) start(t *testing.T) {
	t.Helper()
	in.p = start(t, in.name, in.env, in.logs, in.bin)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(in.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-in.p.done:
			t.Fatalf("%s exited at start", in.name)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 60 s (%v)", in.name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// result is the line livegate-client prints when a session ends.
type result struct {
	Session int    `json:"session"`
	SID     string `json:"sid"`
	Outcome string `json:"outcome"`
	Error   string `json:"error"`
}

// load is one `livegate-client -n` run, its results collected as printed.
type load struct {
	name string
	p    *proc
	mu   sync.Mutex
	res  []result
	sids map[string]bool // every sid the client printed
}

func runLoad(t *testing.T, name, clientBin, face, base, logs string) *load {
	t.Helper()
	l := &load{name: name, sids: map[string]bool{}}
	path := filepath.Join(logs, name+".out")
	args := []string{"-server", base, "-api-key", apiKey, "-react", face, "-n", strconv.Itoa(perClient),
		"-stagger", stagger.String(), "-timeout", "75s", "-expires", strconv.Itoa(expiresIn), "-number", "1", "-retry"}
	cmd := exec.Command(clientBin, args...)
	cmd.Env = os.Environ()
	pr, pw := io.Pipe()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.MultiWriter(pw, f)
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.p = &proc{name: name, cmd: cmd, log: path, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		pw.Close()
		f.Close()
		close(l.p.done)
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			var m struct {
				SID     string  `json:"sid"`
				Outcome *string `json:"outcome"`
				Type    string  `json:"type"`
			}
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			l.mu.Lock()
			if m.SID != "" {
				l.sids[m.SID] = true
			}
			if m.Type == "" && m.Outcome != nil {
				var r result
				_ = json.Unmarshal(sc.Bytes(), &r)
				l.res = append(l.res, r)
			}
			l.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() { l.p.kill() })
	return l
}

// finished are the sessions that ended with a done outcome.
func (l *load) finished() []result {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []result
	for _, r := range l.res {
		if r.SID != "" && (r.Outcome == "success" || r.Outcome == "failed") {
			out = append(out, r)
		}
	}
	return out
}

// tally counts the client's outcomes.
func (l *load) tally() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := map[string]int{}
	for _, r := range l.res {
		k := r.Outcome
		if r.Error != "" {
			k += " (" + r.Error
			if len(k) > 140 {
				k = k[:140] + "…"
			}
			k += ")"
		}
		n[k]++
	}
	var parts []string
	for k, v := range n {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d sessions seen, outcomes: %s", len(l.sids), strings.Join(parts, ", "))
}

func (l *load) allSIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for s := range l.sids {
		out = append(out, s)
	}
	return out
}

func (l *load) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-l.p.done:
	case <-time.After(d):
		l.p.kill()
		t.Logf("%s: still running after %v, killed", l.name, d)
	}
}

// sessionView is what GET /face/v1/active-liveness-sessions/{sid} answers.
type sessionView struct {
	Status string `json:"status"`
	Result *struct {
		Outcome string `json:"outcome"`
	} `json:"result"`
}

func apiDo(method, base, path string, body io.Reader) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("x-api-key", apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b, nil
}

func getSession(t *testing.T, base, sid string) (sessionView, int) {
	t.Helper()
	resp, b, err := apiDo("GET", base, "/face/v1/active-liveness-sessions/"+sid, nil)
	if err != nil {
		t.Fatalf("GET session %s on %s: %v", sid, base, err)
	}
	var v sessionView
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("GET session %s: %v: %s", sid, err, b)
		}
	}
	return v, resp.StatusCode
}

func createSession(t *testing.T, base string) string {
	t.Helper()
	sid, err := client.CreateSession(context.Background(), &http.Client{Timeout: 15 * time.Second}, base, apiKey, "", "",
		map[string]any{"success_url": "https://client.example/done", "cancel_url": "https://client.example/back",
			"expires_in_seconds": expiresIn, "number_of_gestures": 1})
	if err != nil {
		t.Fatalf("create on %s: %v", base, err)
	}
	return sid
}

// victim is a session whose page is open and whose connection is live on
// one instance, held in-process so that its cookie jar (its claim) can
// move to the other instance as a browser's does behind a load balancer.
type victim struct {
	sid   string
	page  *client.Page
	c     *client.Client
	msgs  <-chan []byte
	frame *image.YCbCr
}

// goLive opens the page on base, dials, and waits for hello.
func goLive(ctx context.Context, page *client.Page) (*client.Client, <-chan []byte, map[string]any, error) {
	msgs, on := client.Messages(64)
	c, err := client.Dial(ctx, client.Options{Width: 320, Height: 240, FPS: 15, IncludeLoopback: true, OnMessage: on}, page.Signal())
	if err != nil {
		return nil, nil, nil, err
	}
	for {
		select {
		case m := <-msgs:
			var v map[string]any
			if json.Unmarshal(m, &v) == nil && v["type"] == "hello" {
				return c, msgs, v, nil
			}
		case <-ctx.Done():
			c.Close()
			return nil, nil, nil, fmt.Errorf("no hello: %w", ctx.Err())
		}
	}
}

func newVictim(t *testing.T, base string) *victim {
	t.Helper()
	sid := createSession(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	page, err := client.OpenPage(ctx, base+"/s/"+sid)
	if err != nil {
		t.Fatalf("open page %s: %v", sid, err)
	}
	c, msgs, _, err := goLive(ctx, page)
	if err != nil {
		t.Fatalf("victim %s live on %s: %v", sid, base, err)
	}
	if err := c.Send([]byte(`{"v":1,"type":"ready"}`)); err != nil {
		t.Fatalf("victim %s ready: %v", sid, err)
	}
	return &victim{sid: sid, page: page, c: c, msgs: msgs, frame: faceFrame(t)}
}

// retryOn moves the victim's browser (same cookie jar, same CSRF token)
// to other: the page loads there, the offer is answered, hello offers a
// new attempt, and ready is taken.
func (v *victim) retryOn(t *testing.T, other string) {
	t.Helper()
	v.c.Close()
	u, _ := url.Parse(other)
	moved := *v.page
	moved.Base = u
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", other+"/s/"+v.sid+"/capture", nil)
	resp, err := moved.HTTP.Do(req)
	if err != nil {
		t.Errorf("retry %s: GET capture on the survivor: %v", v.sid, err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("data-csrf-token")) {
		t.Errorf("retry %s: GET capture on the survivor: %d (want the capture screen)", v.sid, resp.StatusCode)
		return
	}
	c, msgs, hello, err := goLive(ctx, &moved)
	if err != nil {
		t.Errorf("retry %s on the survivor: %v", v.sid, err)
		return
	}
	defer c.Close()
	if left, _ := hello["attempts_left"].(float64); left < 1 {
		t.Errorf("retry %s: hello %v offers no attempt", v.sid, hello)
	}
	if err := c.Send([]byte(`{"v":1,"type":"ready"}`)); err != nil {
		t.Errorf("retry %s: ready: %v", v.sid, err)
		return
	}
	// The new attempt runs: the face is sent and the survivor asks for a
	// gesture (or at least speaks without closing).
	playCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		tick := time.NewTicker(time.Second / 15)
		defer tick.Stop()
		for {
			select {
			case <-playCtx.Done():
				return
			case <-tick.C:
				_ = c.SendFrame(v.frame)
			}
		}
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m := <-msgs:
			var mv map[string]any
			_ = json.Unmarshal(m, &mv)
			switch mv["type"] {
			case "closing":
				t.Errorf("retry %s: the survivor closed the new attempt: %s", v.sid, m)
				return
			case "instruction":
				t.Logf("retry %s: the survivor asks for %v", v.sid, mv["gesture"])
				_ = moved.Hangup(context.Background())
				return
			}
		case <-deadline:
			t.Errorf("retry %s: no instruction within 30 s of ready on the survivor", v.sid)
			return
		}
	}
}

// retryAll retries the victims on other at once, as their browsers would.
func retryAll(t *testing.T, other string, vs []*victim) {
	t.Helper()
	var wg sync.WaitGroup
	for _, v := range vs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.retryOn(t, other)
		}()
	}
	wg.Wait()
}

// faceFrame is the test face as a 320×240 camera picture (4:2:0).
func faceFrame(t *testing.T) *image.YCbCr {
	t.Helper()
	f, err := os.Open(filepath.Join(root(t), "testdata", "faces", "portrait-obama-2012.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 320, 240))
	sb := src.Bounds()
	w := sb.Dx() * 240 / sb.Dy()
	xdraw.BiLinear.Scale(rgba, image.Rect((320-w)/2, 0, (320+w)/2, 240), src, sb, xdraw.Src, nil)
	img := image.NewYCbCr(rgba.Bounds(), image.YCbCrSubsampleRatio420)
	for y := 0; y < 240; y++ {
		for x := 0; x < 320; x++ {
			c := rgba.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			img.Y[img.YOffset(x, y)] = yy
			if x%2 == 0 && y%2 == 0 {
				img.Cb[img.COffset(x, y)], img.Cr[img.COffset(x, y)] = cb, cr
			}
		}
	}
	return img
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkFinished asserts that every finished session keeps its result on
// base: a final status and the outcome the client saw.
func checkFinished(t *testing.T, base string, fin []result) {
	t.Helper()
	for _, r := range fin {
		v, code := getSession(t, base, r.SID)
		if code != 200 {
			t.Errorf("finished session %s: GET on %s answered %d", r.SID, base, code)
			continue
		}
		if v.Status == "PENDING" || v.Result == nil {
			t.Errorf("finished session %s (client: %s) now reads %s without a result", r.SID, r.Outcome, v.Status)
		}
	}
}

// checkNotPending waits until every session's expiry has passed and
// asserts that none still reads PENDING.
func checkNotPending(t *testing.T, base string, sids []string, createdBy time.Time) {
	t.Helper()
	if d := time.Until(createdBy.Add(expiresIn*time.Second + 2*time.Second)); d > 0 {
		time.Sleep(d)
	}
	for _, sid := range sids {
		v, code := getSession(t, base, sid)
		if code != 200 {
			t.Errorf("session %s: GET after expiry answered %d", sid, code)
			continue
		}
		if v.Status == "PENDING" {
			t.Errorf("session %s still PENDING past its expiry", sid)
		}
	}
}

// probeOutage asks every kind of route while Redis is down: each must
// answer 503 with Retry-After (the API in its JSON error format, pages as
// a page), never 500.
func probeOutage(t *testing.T, base, sid string, page *client.Page) {
	t.Helper()
	type probe struct {
		name, method, path, body string
		json                     bool
	}
	probes := []probe{
		{"API create", "POST", "/face/v1/active-liveness-sessions", `{"success_url":"https://client.example/done"}`, true},
		{"API get", "GET", "/face/v1/active-liveness-sessions/" + sid, "", true},
		{"API delete", "DELETE", "/face/v1/active-liveness-sessions/" + sid, "", true},
		{"page", "GET", "/s/" + sid, "", false},
		{"capture page", "GET", "/s/" + sid + "/capture", "", false},
		{"readyz", "GET", "/readyz", "", false},
	}
	hc := &http.Client{Timeout: 15 * time.Second}
	if page != nil {
		hc = page.HTTP
	}
	var seen []string
	defer func() { t.Logf("Redis down, %s answers: %s", base, strings.Join(seen, "; ")) }()
	for _, p := range probes {
		var body io.Reader
		if p.body != "" {
			body = strings.NewReader(p.body)
		}
		req, _ := http.NewRequest(p.method, base+p.path, body)
		if p.json {
			req.Header.Set("x-api-key", apiKey)
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Errorf("outage, %s: %v", p.name, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen = append(seen, fmt.Sprintf("%s %d (Retry-After %q)", p.name, resp.StatusCode, resp.Header.Get("Retry-After")))
		if resp.StatusCode != 503 {
			t.Errorf("outage, %s %s: %d, want 503: %.200s", p.method, p.path, resp.StatusCode, b)
			continue
		}
		if p.name != "readyz" && resp.Header.Get("Retry-After") == "" {
			t.Errorf("outage, %s: 503 without Retry-After", p.name)
		}
		if p.json {
			var e struct {
				Status       string `json:"status"`
				ErrorMessage string `json:"error_message"`
			}
			if json.Unmarshal(b, &e) != nil || e.ErrorMessage == "" {
				t.Errorf("outage, %s: not the API's error format: %.200s", p.name, b)
			}
		}
	}
	if page != nil {
		_, err := page.Signal()(context.Background(), "v=0\r\n")
		seen = append(seen, fmt.Sprintf("POST offer %v", err))
		if he, ok := err.(*client.HTTPError); !ok || he.Status != 503 || he.RetryAfter == "" {
			t.Errorf("outage, POST offer: %v, want 503 with Retry-After", err)
		}
	}
}

// TestTwoInstancesChaos runs two server processes (built once, without
// -race) on a redis-server of its own (append-only file on), each under a
// `livegate-client -n 3 -react` load, plus in-process "victim" sessions
// whose connection is live on one instance. Part 1 SIGKILLs instance A:
// every finished session still reads its result through B, and each
// victim's browser (its cookie jar) loads the capture page on B, is
// answered an offer, is offered an attempt and asked for a gesture. Part 2
// restarts A, loads both again and stops Redis with SIGTERM mid-load:
// while it is down every route answers 503 with Retry-After (the API in its
// JSON error format); once it is back both instances answer again without
// a restart, every finished session keeps its result, and a victim live
// during the outage is retried on the other instance. At the end no
// session of either part reads PENDING past its expiry.
func TestTwoInstancesChaos(t *testing.T) {
	t0 := time.Now()
	dir := root(t)
	redisBin := needRedisServer(t)
	tmp := t.TempDir()
	bins := filepath.Join(tmp, "bin")
	if err := os.Mkdir(bins, 0o700); err != nil {
		t.Fatal(err)
	}
	serverBin := build(t, dir, bins, "./cmd/server")
	clientBin := build(t, dir, bins, "./cmd/livegate-client")
	t.Logf("built in %v", time.Since(t0).Round(time.Second))
	face := filepath.Join(dir, "testdata", "faces", "portrait-obama-2012.jpg")

	rdir := filepath.Join(tmp, "redis")
	if err := os.Mkdir(rdir, 0o700); err != nil {
		t.Fatal(err)
	}
	rs := &redisServer{bin: redisBin, dir: rdir, port: freePort(t)}
	rs.start(t)

	prefix := "livegate-chaos:" + randomHex(8) + ":"
	t.Cleanup(func() {
		// The Redis is the test's own and its directory goes with the
		// test; the keys under the run's prefix are dropped anyway.
		_, _ = rs.do("EVAL \"for _,k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end\" 0 " + prefix + "*")
	})
	dataKey := make([]byte, 32)
	_, _ = rand.Read(dataKey)
	common := append(os.Environ(),
		"REDIS_URL=redis://127.0.0.1:"+strconv.Itoa(rs.port)+"/0",
		"LIVEGATE_REDIS_PREFIX="+prefix,
		"LIVEGATE_API_KEYS="+apiKey,
		"LIVEGATE_SESSION_SECRET="+randomHex(32),
		"LIVEGATE_DATA_KEYS="+base64.StdEncoding.EncodeToString(dataKey),
		"LIVEGATE_CREATE_RATE=100",
		"LIVEGATE_CREATE_BURST=1000",
		"LIVEGATE_LOG_LEVEL=info",
		"LIVEGATE_SHUTDOWN_TIMEOUT=1s",
		// Every client here is 127.0.0.1: the per-address lock after
		// failed attempts would lock the whole load out (as in internal/e2e).
		"LIVEGATE_ATTEMPT_LOCKOUT=off",
		"LIVEGATE_PAGE_LIMIT_IP=off", // every client of the load shares one address
	)
	mk := func(name string) *instance {
		port := freePort(t)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		env := append(append([]string{}, common...), "LIVEGATE_ADDR="+fmt.Sprintf("127.0.0.1:%d", port), "LIVEGATE_PUBLIC_URL="+base)
		return &instance{name: name, base: base, env: env, bin: serverBin, logs: tmp}
	}
	a, b := mk("livegate-a"), mk("livegate-b")
	a.start(t)
	b.start(t)
	t.Logf("two instances ready at %v", time.Since(t0).Round(time.Second))

	// Part 1: SIGKILL one instance mid-load.
	la := runLoad(t, "load-a1", clientBin, face, a.base, tmp)
	lb := runLoad(t, "load-b1", clientBin, face, b.base, tmp)
	victims := []*victim{newVictim(t, a.base), newVictim(t, a.base)}
	// Kill once a session has finished, or after 60 s.
	waitFinished(t, 60*time.Second, la, lb)
	finBefore := append(la.finished(), lb.finished()...)
	a.p.kill()
	killedAt := time.Since(t0)
	t.Logf("SIGKILLed %s at %v with %d sessions finished", a.name, killedAt.Round(time.Second), len(finBefore))
	checkFinished(t, b.base, finBefore)
	retryAll(t, b.base, victims)
	la.wait(t, 10*time.Second)
	t.Logf("part 1 at %v: instance A's client: %s", time.Since(t0).Round(time.Second), la.tally())

	// Part 2: restart Redis mid-load, two instances again (B's first
	// load still running).
	a.start(t)
	created2 := time.Now()
	la2 := runLoad(t, "load-a2", clientBin, face, a.base, tmp)
	lb2 := runLoad(t, "load-b2", clientBin, face, b.base, tmp)
	v2 := newVictim(t, b.base)
	waitFinished(t, 60*time.Second, la2, lb2)
	fin2Before := append(append(append(la2.finished(), lb2.finished()...), la.finished()...), lb.finished()...)
	rs.stop(t)
	down := time.Now()
	t.Logf("Redis stopped at %v", time.Since(t0).Round(time.Second))
	probeOutage(t, a.base, v2.sid, nil)
	probeOutage(t, b.base, v2.sid, v2.page)
	time.Sleep(3 * time.Second)
	rs.start(t)
	t.Logf("Redis back after %v", time.Since(down).Round(100*time.Millisecond))
	// Both instances recover without a restart of their own.
	for _, in := range []*instance{a, b} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, code := getSession(t, in.base, v2.sid)
			if code == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: GET still answers %d 30 s after Redis came back", in.name, code)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	checkFinished(t, a.base, fin2Before)
	checkFinished(t, b.base, fin2Before)
	retryAll(t, a.base, []*victim{v2})
	lb.wait(t, 60*time.Second)
	la2.wait(t, 90*time.Second)
	lb2.wait(t, 30*time.Second)
	loads := []*load{la, lb, la2, lb2}
	var fin []result
	var sids []string
	for _, l := range loads {
		fin = append(fin, l.finished()...)
		sids = append(sids, l.allSIDs()...)
		t.Logf("%s: %s", l.name, l.tally())
	}
	if len(fin) == 0 || len(fin2Before) == 0 {
		t.Errorf("no session finished before the Redis restart (%d) or at all (%d): nothing shows that results survive", len(fin2Before), len(fin))
	}
	checkFinished(t, a.base, fin)
	checkFinished(t, b.base, fin)
	for _, v := range append(victims, v2) {
		sids = append(sids, v.sid)
	}
	checkNotPending(t, a.base, sids, lastCreate(created2))
	t.Logf("in all: %d sessions, %d finished and kept their result, %d retried on the other instance, none PENDING past expiry; %v",
		len(sids), len(fin), len(victims)+1, time.Since(t0).Round(time.Second))
}

// lastCreate bounds the creation time of a part's sessions: the loads
// create theirs one per -stagger from their start, the victims right after.
func lastCreate(start time.Time) time.Time {
	return start.Add(perClient*stagger + 10*time.Second)
}

func waitFinished(t *testing.T, d time.Duration, loads ...*load) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		for _, l := range loads {
			if len(l.finished()) > 0 {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("no session finished within %v", d)
}
