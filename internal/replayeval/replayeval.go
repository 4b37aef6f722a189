// Package replayeval measures issue 16's acceptance through the real
// pipeline: livegate started in-process (internal/server.Run, real models,
// WebRTC on loopback), sessions created through the API, and the test
// client (internal/capture/client) playing either a recording of every
// gesture (the replay attack, which must never pass) or a face rendered
// live that reacts to each instruction (a person, who must always pass).
// Its test runs a few sessions; cmd/replayeval (make replay-eval) the
// whole matrix.
package replayeval

import (
	"context"
	"fmt"
	"image"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/server"
)

// APIKey is the key the in-process server accepts.
const APIKey = "replayeval_0123456789abcdef"

// Server is a livegate started in-process.
type Server struct {
	Base string // http://localhost:PORT
	stop context.CancelFunc
	done chan error
}

// StartServer starts livegate on 127.0.0.1:0 with the memory store and the
// models of perception.FootageConfig (the ones the tests use). logs gets
// the JSON logs (nil: none).
func StartServer(logs io.Writer) (*Server, error) {
	models := perception.FootageConfig()
	env := map[string]string{
		"LIVEGATE_ADDR":           "127.0.0.1:0",
		"LIVEGATE_API_KEYS":       APIKey,
		"LIVEGATE_SESSION_SECRET": "replayeval-cookie-secret-0123456789",
		"LIVEGATE_YUNET_MODEL":    models.YuNet,
		"LIVEGATE_LANDMARK_MODEL": models.Landmarks,
		"LIVEGATE_CREATE_RATE":    "1000",
		// Every replay is meant to fail, all from 127.0.0.1: the
		// lockouts and offer limits would stop the evaluation, not an
		// attacker.
		"LIVEGATE_ATTEMPT_LOCKOUT": "off",
		"LIVEGATE_OFFER_LIMIT_IP":  "off",
		"LIVEGATE_PAGE_LIMIT_IP":   "off",
		"LIVEGATE_OFFER_LIMIT_KEY": "off",
	}
	if logs != nil {
		env["LIVEGATE_LOG_LEVEL"] = "debug"
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan server.Started, 1)
	s := &Server{stop: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- server.Run(ctx, server.Options{Getenv: func(k string) string { return env[k] }, Stderr: logs,
			Ready: func(st server.Started) { started <- st }})
	}()
	select {
	case st := <-started:
		s.Base = st.PublicURL
		return s, nil
	case err := <-s.done:
		cancel()
		return nil, fmt.Errorf("replayeval: livegate did not start: %w", err)
	}
}

// Stop shuts the server down and returns Run's error.
func (s *Server) Stop() error {
	s.stop()
	return <-s.done
}

// Replay variants of the all-gestures recording.
const (
	InOrder  = "in order"
	Shuffled = "shuffled"
	Slowed   = "slowed 25%"
	SpedUp   = "sped up 25%"
)

// Variants are the replay variants, in the table's order.
var Variants = []string{InOrder, Shuffled, Slowed, SpedUp}

// Lead5s is a probe beyond the recordings: the recording in order
// after 5 s of neutral face instead of 2, longer than the longest wait, so
// that its first gesture comes after any instruction. It passes when the
// drawn gesture is that first gesture and the onset falls in the reaction
// window: what the rules leave to chance (not part of the acceptance).
const Lead5s = "in order, 5 s lead"

// Trial is one session to play.
type Trial struct {
	// Gestures is the session's number_of_gestures (0: the default, one
	// drawn gesture).
	Gestures int
	// Replay names a replay variant; empty for a reactive trial.
	Replay string
	// Face is the photo: of the recording, or of the reacting person.
	Face string
	// Reaction is the reactive person's delay (Jitter round it).
	Reaction, Jitter time.Duration
	Seed             uint64
}

// Kind is "replay" or "reactive".
func (t Trial) Kind() string {
	if t.Replay != "" {
		return "replay"
	}
	return "reactive"
}

// Outcome is how one trial's session ended.
type Outcome struct {
	Trial
	SID      string
	Result   string // the done outcome: success, failed; or what else ended the run
	Attempts int
	Reasons  []string // attempt_failed reasons
	Err      error
	// Messages are the server's messages, with their arrival times.
	Messages []client.Message
}

// Passed is true when the session succeeded.
func (o Outcome) Passed() bool { return o.Err == nil && o.Result == "success" }

// LivenessFailed is true when the session failed with an attempt that
// ended without a failure of the challenge: every gesture was matched and
// the liveness verdict (the anti-spoofing model, the stream's cues)
// failed the session.
func (o Outcome) LivenessFailed() bool {
	return o.Err == nil && o.Result == "failed" && len(o.Reasons) < o.Attempts
}

// Player renders what the trials play: the recordings (encoded once per
// variant and face) and the live faces.
type Player struct {
	Base string
	r    *facegen.Renderer
	http *http.Client

	mu    sync.Mutex
	clips map[string]*client.Clip
}

// NewPlayer plays into the server at base; photo landmarks are found with
// the engine's models and kept in facegen's cache directory.
func NewPlayer(base string) *Player {
	r := facegen.NewRenderer(facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.FootageConfig())))
	if dir, err := facegen.DefaultCacheDir(); err == nil {
		r.CacheDir = dir
	}
	return &Player{Base: base, r: r, http: &http.Client{Timeout: 30 * time.Second}, clips: map[string]*client.Clip{}}
}

// ReplayParams are the facegen parameters of a variant's recording.
func ReplayParams(variant, face string) (facegen.Params, error) {
	order, stretch := facegen.ReplayGestures, 1.0
	switch variant {
	case InOrder:
	case Shuffled:
		order = facegen.ShuffledReplayGestures(16)
	case Slowed:
		stretch = 1.25
	case SpedUp:
		stretch = 0.75
	case Lead5s:
	default:
		return facegen.Params{}, fmt.Errorf("replayeval: unknown variant %q", variant)
	}
	sc, err := facegen.ReplayScript(order, stretch)
	if err != nil {
		return facegen.Params{}, err
	}
	if variant == Lead5s {
		sc = "neutral 3s; " + sc
	}
	return facegen.Params{Face: face, Script: sc, Seed: 16, Noise: 1.5}, nil
}

// clip renders and encodes a variant's recording once; the last picture is
// held 6 s before it loops, as livegate-client's default.
func (p *Player) clip(variant, face string) (*client.Clip, error) {
	key := variant + "|" + face
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clips[key]; ok {
		return c, nil
	}
	params, err := ReplayParams(variant, face)
	if err != nil {
		return nil, err
	}
	rendered, err := p.r.Render(params)
	if err != nil {
		return nil, err
	}
	frames := make([]*image.YCbCr, 0, len(rendered.Frames))
	for _, f := range rendered.Frames {
		frames = append(frames, f.YCbCr())
	}
	c, err := client.EncodeClip(frames, rendered.Truth.FPS, 6*rendered.Truth.FPS)
	if err != nil {
		return nil, err
	}
	p.clips[key] = c
	return c, nil
}

// Play runs one trial's session to its end (attempts retried) within
// timeout.
func (p *Player) Play(ctx context.Context, t Trial, timeout time.Duration) Outcome {
	out := Outcome{Trial: t}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	run := client.RunOptions{Retry: true}
	w, h, fps := 640, 480, 15
	if t.Replay != "" {
		c, err := p.clip(t.Replay, t.Face)
		if err != nil {
			out.Err = err
			return out
		}
		run.Clips, w, h, fps = []*client.Clip{c}, c.W, c.H, c.FPS
	} else {
		live, err := p.r.NewLive(facegen.Params{Face: t.Face, Seed: t.Seed, Noise: 1.5})
		if err != nil {
			out.Err = err
			return out
		}
		run.Actor = &facegen.Actor{Live: live, Person: facegen.NewPerson(t.Reaction, t.Jitter, t.Seed)}
		run.FPS = fps
	}
	page, err := p.create(ctx, t.Gestures)
	if err != nil {
		out.Err = err
		return out
	}
	pg, err := client.OpenPage(ctx, page)
	if err != nil {
		out.Err = err
		return out
	}
	out.SID = pg.SID
	msgs, on := client.Messages(512)
	c, err := client.Dial(ctx, client.Options{Width: w, Height: h, FPS: fps, IncludeLoopback: true, OnMessage: on}, pg.Signal())
	if err != nil {
		out.Err = err
		return out
	}
	defer c.Close()
	res, err := client.Run(ctx, c, msgs, run)
	if res != nil {
		out.Result, out.Attempts, out.Messages = res.Result, res.Attempts, res.Messages
		for _, m := range res.Messages {
			if m.Type == "attempt_failed" {
				out.Reasons = append(out.Reasons, m.Reason)
			}
		}
	}
	out.Err = err
	return out
}

// create makes a session through the API and returns its page URL.
func (p *Player) create(ctx context.Context, gestures int) (string, error) {
	body := map[string]any{"success_url": "https://shop.example/done", "cancel_url": "https://shop.example/back"}
	if gestures > 0 {
		body["number_of_gestures"] = gestures
	}
	sid, err := client.CreateSession(ctx, p.http, p.Base, APIKey, "", "", body)
	if err != nil {
		return "", fmt.Errorf("replayeval: %w", err)
	}
	return p.Base + "/s/" + sid, nil
}

// PlayAll plays the trials, at most parallel at once, and returns their
// outcomes in the trials' order. progress, when set, sees each outcome as
// it comes.
func (p *Player) PlayAll(ctx context.Context, trials []Trial, parallel int, timeout time.Duration, progress func(Outcome)) []Outcome {
	// The recordings are rendered and encoded first, outside the sessions'
	// time (an error comes back from Play).
	for _, t := range trials {
		if t.Replay != "" {
			_, _ = p.clip(t.Replay, t.Face)
		}
	}
	out := make([]Outcome, len(trials))
	sem := make(chan struct{}, max(1, parallel))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, t := range trials {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = p.Play(ctx, t, timeout)
			if progress != nil {
				mu.Lock()
				progress(out[i])
				mu.Unlock()
			}
		}()
		// Spread the starts: the sessions' baselines and waits then fall
		// at different times, as real users' do.
		select {
		case <-time.After(700 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	wg.Wait()
	return out
}

// Table is the markdown table of outcomes: per kind, variant (or reaction
// delay) and number of gestures, the sessions passed, and the failure
// reasons seen.
func Table(outs []Outcome) string {
	type row struct {
		kind, what string
		gestures   int
		n, passed  int
		errs       int
		liveness   int
		reasons    map[string]int
	}
	rows := map[string]*row{}
	var keys []string
	for _, o := range outs {
		what := o.Replay
		if o.Kind() == "reactive" {
			what = fmt.Sprintf("reaction %.1f s", o.Reaction.Seconds())
		}
		k := fmt.Sprintf("%s|%s|%d", o.Kind(), what, o.Gestures)
		r, ok := rows[k]
		if !ok {
			r = &row{kind: o.Kind(), what: what, gestures: o.Gestures, reasons: map[string]int{}}
			rows[k] = r
			keys = append(keys, k)
		}
		r.n++
		if o.Passed() {
			r.passed++
		}
		if o.Err != nil {
			r.errs++
		}
		if o.LivenessFailed() {
			r.liveness++
		}
		for _, re := range o.Reasons {
			r.reasons[re]++
		}
	}
	var b strings.Builder
	b.WriteString("| played | what | gestures | sessions | passed | errors | gestures all matched, liveness failed | attempt failures seen |\n|---|---|---|---|---|---|---|---|\n")
	for _, k := range keys {
		r := rows[k]
		var rs []string
		for re, n := range r.reasons {
			rs = append(rs, fmt.Sprintf("%s %d", re, n))
		}
		sort.Strings(rs)
		g := fmt.Sprint(r.gestures)
		if r.gestures == 0 {
			g = "1 (default)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d | %s |\n", r.kind, r.what, g, r.n, r.passed, r.errs, r.liveness, strings.Join(rs, ", "))
	}
	return b.String()
}

// Faces are the test faces (testdata/faces), by file name.
var Faces = []string{"astronaut.png", "grace-hopper-1984.jpg", "kamala-harris-2021.jpg", "mazie-hirono.jpg", "portrait-obama-2012.jpg", "victor-glover-2020.jpg"}

// JitterFor is the jitter round a reaction delay: ±0.2 s, and at most a
// quarter of the delay, so that a quick person stays quick.
func JitterFor(reaction time.Duration) time.Duration {
	return min(200*time.Millisecond, reaction/4)
}
