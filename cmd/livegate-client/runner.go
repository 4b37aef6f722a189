package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/facegen/score"
	"github.com/livegate/livegate/internal/gesture"
)

type runner struct {
	o     options
	clips []*client.Clip
	truth *facegen.Truth
	faces *faces // -react
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
	// Reasons are the attempt_failed reasons, in order.
	Reasons []string `json:"failed_reasons,omitempty"`
	// ReactMS (-react) are, per instruction, the drawn reaction delay and
	// the time from the instruction to its match (0: not matched).
	ReactMS []reactFigure `json:"react_ms,omitempty"`
	// WallS is the session's time from its start (create or page) to its
	// outcome: the session-seconds the server's CPU is divided by (not in
	// the session's line, printed before it is known).
	WallS float64 `json:"-"`
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
			t0 := time.Now()
			results[i] = r.one(ctx, i)
			results[i].WallS = time.Since(t0).Seconds()
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
	run := client.RunOptions{Clips: r.clips, Retry: r.o.retry}
	var w, h, fps int
	var act *actor
	if r.faces != nil {
		if act, err = r.faces.actor(r.o, uint64(i)); err != nil {
			res.Outcome, res.Error = "error", err.Error()
			r.print(res)
			return res
		}
		w, h = act.Live.Size()
		fps = act.Live.FPS()
		run.Actor, run.FPS = act, fps
	} else {
		w, h, fps = r.clips[0].W, r.clips[0].H, r.clips[0].FPS
	}
	c, err := client.Dial(ctx, client.Options{Width: w, Height: h, FPS: fps,
		IncludeLoopback: r.o.loopback, OnMessage: on}, p.Signal())
	if err != nil {
		res.Outcome, res.Error = "error", err.Error()
		r.print(res)
		return res
	}
	defer c.Close()
	run.OnMessage = func(m client.Message) {
		if !r.o.quiet {
			r.print(line{Session: i, SID: p.SID, TMS: m.At.Milliseconds(), ClipMS: m.ClipTime.Milliseconds(), Message: m})
		}
	}
	out, err := client.Run(ctx, c, msgs, run)
	if err != nil {
		res.Outcome, res.Error = "error", err.Error()
	} else {
		res.Outcome, res.Redirect, res.Attempts = out.Result, out.Redirect, out.Attempts
		res.FirstInstruction = ms(out.FirstInstruction)
		res.DelaysMS = r.delays(out)
		for _, m := range out.Messages {
			if m.Type == "attempt_failed" {
				res.Reasons = append(res.Reasons, m.Reason)
			}
		}
		if act != nil {
			res.ReactMS = act.figures(out.Messages)
		}
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
	} else if r.o.number > 0 {
		body["number_of_gestures"] = r.o.number
	}
	if r.o.expires > 0 {
		body["expires_in_seconds"] = r.o.expires
	}
	sid, err := client.CreateSession(ctx, r.http, r.o.server, r.o.apiKey, r.o.user, r.o.pass, body)
	if err != nil {
		return "", err
	}
	// The page on the server we talk to (the session's url carries the
	// public URL, which may name another host).
	return r.o.server + "/s/" + sid, nil
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
