// Command livegate-client plays a y4m clip into livegate sessions the way
// the end user's page does: it opens the session page with a cookie jar
// (claiming the session), reads the CSRF token, POSTs its WebRTC offer to
// /s/{sid}/offer, streams the clip (VP8, encoded once) at its frame rate and
// speaks the data-channel protocol of docs/protocol.md. Every server
// message is printed as a JSON line with its timing; a summary line ends
// the output.
//
//	livegate-client -page http://localhost:8080/s/SID -clip left.y4m
//	livegate-client -server http://localhost:8080 -api-key KEY -clip left.y4m -n 8
//
// With -api-key it creates its own sessions (asking the clip's scripted
// gestures, from its facegen truth file, unless -gestures says otherwise).
// -n N runs N sessions at once; the summary then adds the server's frame
// counters, frame-to-decision delay, CPU and memory from its /metrics.
//
// Exit status: 0 when every session succeeded, 1 when one failed (the
// gesture was not matched), 2 on any error.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/facegen/score"
	"github.com/livegate/livegate/internal/gesture"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	server, page, apiKey, user, pass string
	clips                            []string
	truth                            string
	gestures                         []string
	n                                int
	retry, quiet, loopback           bool
	timeout, stagger                 time.Duration
	hold                             time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("livegate-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var clips, gestures string
	fs.StringVar(&o.server, "server", "", "server base URL, e.g. http://localhost:8080 (default: from -page)")
	fs.StringVar(&o.page, "page", "", "a session's page URL (…/s/{sid}) or its sid; without it, -api-key creates sessions")
	fs.StringVar(&o.apiKey, "api-key", "", "API key to create sessions with")
	fs.StringVar(&o.user, "username", "", "HTTP Basic user for the API key, when configured with one")
	fs.StringVar(&o.pass, "password", "", "HTTP Basic password")
	fs.StringVar(&clips, "clip", "", "y4m clip (4:2:0); comma-separated clips are played one per attempt")
	fs.StringVar(&o.truth, "truth", "", "facegen truth of the (last) clip for the delay figures (default: the clip's .truth.json beside it, when present)")
	fs.StringVar(&gestures, "gestures", "", "comma-separated gestures for created sessions (default: the truth's scripted gestures)")
	fs.IntVar(&o.n, "n", 1, "sessions at once (needs -api-key for more than one)")
	fs.BoolVar(&o.retry, "retry", false, "send ready again after attempt_failed while attempts remain")
	fs.BoolVar(&o.quiet, "quiet", false, "print only the summary")
	fs.BoolVar(&o.loopback, "loopback", true, "offer 127.0.0.1 candidates (needed when the server runs on this machine without a network)")
	fs.DurationVar(&o.timeout, "timeout", 90*time.Second, "time allowed per session")
	fs.DurationVar(&o.stagger, "stagger", 100*time.Millisecond, "delay between session starts with -n")
	fs.DurationVar(&o.hold, "hold", 6*time.Second, "how long the clip's last picture is sent after the clip before it loops")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "livegate-client:", err)
		return 2
	}
	if clips == "" {
		return fail(errors.New("need -clip"))
	}
	o.clips = strings.Split(clips, ",")
	if gestures != "" {
		o.gestures = strings.Split(gestures, ",")
	}
	if o.page == "" && o.apiKey == "" {
		return fail(errors.New("need -page or -api-key"))
	}
	if o.page != "" && o.n > 1 {
		return fail(errors.New("-n needs -api-key (one page is one session)"))
	}
	if o.page != "" && !strings.Contains(o.page, "/") {
		if o.server == "" {
			return fail(errors.New("a bare sid needs -server"))
		}
		o.page = strings.TrimRight(o.server, "/") + "/s/" + o.page
	}
	if o.server == "" {
		u, err := url.Parse(o.page)
		if err != nil || u.Host == "" {
			return fail(fmt.Errorf("-page %q is not a URL", o.page))
		}
		o.server = u.Scheme + "://" + u.Host
	}
	o.server = strings.TrimRight(o.server, "/")

	var encoded []*client.Clip
	var truth *facegen.Truth
	for _, path := range o.clips {
		c, err := loadClip(path, o.hold)
		if err != nil {
			return fail(err)
		}
		encoded = append(encoded, c)
	}
	tpath := o.truth
	if tpath == "" {
		last := o.clips[len(o.clips)-1]
		if p := strings.TrimSuffix(last, ".y4m") + ".truth.json"; fileExists(p) {
			tpath = p
		}
	}
	if tpath != "" {
		var err error
		if truth, err = facegen.ReadTruth(tpath); err != nil {
			return fail(err)
		}
	}
	if len(o.gestures) == 0 && truth != nil {
		for _, iv := range truth.Gestures {
			o.gestures = append(o.gestures, iv.Code)
		}
	}

	r := &runner{o: o, clips: encoded, truth: truth, out: json.NewEncoder(stdout), http: &http.Client{Timeout: 30 * time.Second}}
	return r.runAll(ctx, stderr)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// loadClip reads and encodes a y4m clip.
func loadClip(path string, hold time.Duration) (*client.Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := facegen.NewY4MReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	h := rd.Header
	fps := 15
	if h.FPSNum > 0 && h.FPSDen > 0 {
		fps = max(1, int(math.Round(float64(h.FPSNum)/float64(h.FPSDen))))
	}
	var frames []*image.YCbCr
	for {
		fr, err := rd.ReadFrame(nil)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		frames = append(frames, &image.YCbCr{Y: fr.Y, Cb: fr.U, Cr: fr.V, YStride: fr.W, CStride: fr.W / 2,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, fr.W, fr.H)})
	}
	return client.EncodeClip(frames, fps, int(hold.Seconds()*float64(fps)))
}

type runner struct {
	o     options
	clips []*client.Clip
	truth *facegen.Truth
	http  *http.Client

	mu  sync.Mutex
	out *json.Encoder
}

func (r *runner) print(v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.out.Encode(v)
}

// line is one printed message.
type line struct {
	Session int    `json:"session"`
	SID     string `json:"sid"`
	TMS     int64  `json:"t_ms"`
	ClipMS  int64  `json:"clip_ms"`
	client.Message
}

// result is one session's end.
type result struct {
	Session          int       `json:"session"`
	SID              string    `json:"sid"`
	Outcome          string    `json:"outcome"`
	Error            string    `json:"error,omitempty"`
	Redirect         string    `json:"redirect,omitempty"`
	Attempts         int       `json:"attempts"`
	FirstInstruction float64   `json:"first_instruction_ms"`
	DelaysMS         []float64 `json:"truth_to_match_ms,omitempty"`
}

func (r *runner) runAll(ctx context.Context, stderr io.Writer) int {
	cpu0 := cpuTime()
	before, _ := r.scrape(ctx)
	var wg sync.WaitGroup
	results := make([]result, r.o.n)
	peakRSS := 0.0
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				if m, err := r.scrape(ctx); err == nil {
					peakRSS = max(peakRSS, m["process_resident_memory_bytes"])
				}
			}
		}
	}()
	start := time.Now()
	for i := range r.o.n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = r.one(ctx, i)
		}()
		if i+1 < r.o.n {
			select {
			case <-time.After(r.o.stagger):
			case <-ctx.Done():
			}
		}
	}
	wg.Wait()
	wall := time.Since(start)
	close(stopSampling)
	<-sampled
	after, err := r.scrape(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "livegate-client: /metrics:", err)
	}
	return r.summary(results, before, after, peakRSS, wall, cpuTime()-cpu0)
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// one runs session i.
func (r *runner) one(ctx context.Context, i int) result {
	res := result{Session: i}
	ctx, cancel := context.WithTimeout(ctx, r.o.timeout)
	defer cancel()
	page := r.o.page
	if page == "" {
		var err error
		if page, err = r.create(ctx); err != nil {
			res.Outcome, res.Error = "error", err.Error()
			r.print(res)
			return res
		}
	}
	p, err := client.OpenPage(ctx, page)
	if err != nil {
		res.Outcome, res.Error = "error", err.Error()
		r.print(res)
		return res
	}
	res.SID = p.SID
	msgs, on := client.Messages(512)
	c, err := client.Dial(ctx, client.Options{Width: r.clips[0].W, Height: r.clips[0].H, FPS: r.clips[0].FPS,
		IncludeLoopback: r.o.loopback, OnMessage: on}, p.Signal())
	if err != nil {
		res.Outcome, res.Error = "error", err.Error()
		r.print(res)
		return res
	}
	defer c.Close()
	out, err := client.Run(ctx, c, msgs, client.RunOptions{Clips: r.clips, Retry: r.o.retry, OnMessage: func(m client.Message) {
		if !r.o.quiet {
			r.print(line{Session: i, SID: p.SID, TMS: m.At.Milliseconds(), ClipMS: m.ClipTime.Milliseconds(), Message: m})
		}
	}})
	if err != nil {
		res.Outcome, res.Error = "error", err.Error()
	} else {
		res.Outcome, res.Redirect, res.Attempts = out.Result, out.Redirect, out.Attempts
		res.FirstInstruction = ms(out.FirstInstruction)
		res.DelaysMS = r.delays(out)
	}
	if !r.o.quiet {
		r.print(res)
	}
	return res
}

// create makes a session through the API and returns its page URL.
func (r *runner) create(ctx context.Context) (string, error) {
	body := map[string]any{"success_url": "https://client.example/done", "cancel_url": "https://client.example/back"}
	if len(r.o.gestures) > 0 {
		body["gestures"] = r.o.gestures
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", r.o.server+"/face/v1/active-liveness-sessions", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", r.o.apiKey)
	if r.o.user != "" {
		req.SetBasicAuth(r.o.user, r.o.pass)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var obj struct {
		SID          string `json:"sid"`
		ErrorMessage string `json:"error_message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&obj)
	if resp.StatusCode != http.StatusOK || obj.SID == "" {
		return "", fmt.Errorf("create session: %d %s", resp.StatusCode, obj.ErrorMessage)
	}
	// The page on the server we talk to (the session's url carries the
	// public URL, which may name another host).
	return r.o.server + "/s/" + obj.SID, nil
}

// delays are, per matched message, the time from the truth's threshold
// crossing of its gesture (in the attempt's clip) to the message.
func (r *runner) delays(out *client.Outcome) []float64 {
	if r.truth == nil || r.truth.FPS <= 0 {
		return nil
	}
	cfg := gesture.DefaultChallengeConfig()
	used := make([]bool, len(r.truth.Gestures))
	var ds []float64
	for _, m := range out.Messages {
		// Only the attempts that played the truth's clip.
		if m.Type != "matched" || m.Attempt < len(r.clips) {
			continue
		}
		for k, iv := range r.truth.Gestures {
			if used[k] || iv.Code != m.Gesture {
				continue
			}
			used[k] = true
			if f, ok := score.Crossing(r.truth, iv, cfg); ok {
				ds = append(ds, round(ms(m.ClipTime)-float64(f)*1000/float64(r.truth.FPS)))
			}
			break
		}
	}
	return ds
}

// summary is the last line.
type summary struct {
	Summary  bool           `json:"summary"`
	Sessions int            `json:"sessions"`
	Outcomes map[string]int `json:"outcomes"`
	WallS    float64        `json:"wall_s"`
	// FirstInstructionMS: time from ready to the first instruction.
	FirstInstructionMS pct `json:"first_instruction_ms"`
	// TruthToMatchMS: from the clip's truth threshold crossing to the
	// matched message (includes the challenge's hold time, 130 ms at
	// least by design, and the frame interval).
	TruthToMatchMS pct `json:"truth_to_match_ms"`
	// ClientCPUCores is this process's CPU time over the wall time: the
	// share of the machine the client itself took.
	ClientCPUCores float64 `json:"client_cpu_cores"`
	// Server figures, from /metrics before and after the run.
	Server *serverFigures `json:"server,omitempty"`
}

type pct struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type serverFigures struct {
	FramesDecoded  float64 `json:"frames_decoded"`
	FramesAnalysed float64 `json:"frames_analysed"`
	FramesDropped  float64 `json:"frames_dropped"`
	// DroppedPct is dropped over decoded (overload drops; frames skipped
	// by the analysis rate are not counted).
	DroppedPct float64 `json:"dropped_pct"`
	// FrameDelayMS: frame-to-decision delay (capture time to the end of
	// its analysis), upper bounds of the histogram buckets holding the
	// quantiles.
	FrameDelayMS      pct     `json:"frame_delay_ms_le"`
	AnalysisMeanMS    float64 `json:"analysis_mean_ms"`
	CPUSecondsPerSess float64 `json:"cpu_seconds_per_session"`
	CPUCoresUsed      float64 `json:"cpu_cores_used"`
	RSSPeakMB         float64 `json:"rss_peak_mb"`
	RSSPerSessionMB   float64 `json:"rss_per_session_mb"`
}

func (r *runner) summary(results []result, before, after map[string]float64, peakRSS float64, wall, cpu time.Duration) int {
	s := summary{Summary: true, Sessions: len(results), Outcomes: map[string]int{}, WallS: round(wall.Seconds()),
		ClientCPUCores: round(cpu.Seconds() / wall.Seconds())}
	var first, delays []float64
	code := 0
	for _, res := range results {
		s.Outcomes[res.Outcome]++
		if res.FirstInstruction > 0 {
			first = append(first, res.FirstInstruction)
		}
		delays = append(delays, res.DelaysMS...)
		switch res.Outcome {
		case "success":
		case "failed", "attempt_failed":
			code = max(code, 1)
		default:
			code = 2
		}
	}
	s.FirstInstructionMS = percentiles(first)
	s.TruthToMatchMS = percentiles(delays)
	if before != nil && after != nil {
		d := func(k string) float64 { return after[k] - before[k] }
		f := &serverFigures{
			FramesDecoded:  d(`livegate_capture_frames_total{fate="decoded"}`),
			FramesAnalysed: d(`livegate_capture_frames_total{fate="analysed"}`),
			FramesDropped:  d(`livegate_capture_frames_total{fate="dropped"}`),
		}
		if f.FramesDecoded > 0 {
			f.DroppedPct = round(100 * f.FramesDropped / f.FramesDecoded)
		}
		if n := d("livegate_capture_analysis_seconds_count"); n > 0 {
			f.AnalysisMeanMS = round(1000 * d("livegate_capture_analysis_seconds_sum") / n)
		}
		f.FrameDelayMS = histogram(before, after, "livegate_capture_frame_delay_seconds")
		cpu := d("process_cpu_seconds_total")
		f.CPUSecondsPerSess = round(cpu / float64(len(results)))
		f.CPUCoresUsed = round(cpu / wall.Seconds())
		f.RSSPeakMB = round(peakRSS / (1 << 20))
		f.RSSPerSessionMB = round(max(0, peakRSS-before["process_resident_memory_bytes"]) / (1 << 20) / float64(len(results)))
		s.Server = f
	}
	r.print(s)
	return code
}

func percentiles(v []float64) pct {
	if len(v) == 0 {
		return pct{}
	}
	slices.Sort(v)
	q := func(p float64) float64 { return round(v[min(len(v)-1, int(math.Ceil(p*float64(len(v))))-1)]) }
	return pct{N: len(v), P50: q(0.5), P95: q(0.95), P99: q(0.99), Max: round(v[len(v)-1])}
}

// histogram estimates quantiles of a Prometheus histogram's increase
// between two scrapes: each is the upper bound of the bucket that holds it.
func histogram(before, after map[string]float64, name string) pct {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range after {
		rest, ok := strings.CutPrefix(k, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{le, v - before[k]})
	}
	slices.SortFunc(bs, func(a, b bucket) int {
		switch {
		case a.le < b.le:
			return -1
		case a.le > b.le:
			return 1
		}
		return 0
	})
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return pct{}
	}
	total := bs[len(bs)-1].n
	q := func(p float64) float64 {
		for _, b := range bs {
			if b.n >= p*total {
				return round(b.le * 1000)
			}
		}
		return math.Inf(1)
	}
	return pct{N: int(total), P50: q(0.5), P95: q(0.95), P99: q(0.99), Max: q(1)}
}

// scrape reads the server's /metrics into "name{labels}" → value.
func (r *runner) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", r.o.server+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %d", resp.StatusCode)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			continue
		}
		m[l[:i]] = v
	}
	return m, sc.Err()
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

func round(v float64) float64 { return math.Round(v*10) / 10 }
