// Command replayeval measures issue 16's acceptance through the real
// pipeline (see internal/replayeval): the all-gestures recording in four
// variants (in order, shuffled, slowed and sped up by 25 %) played into
// default sessions and two- and three-gesture sessions with attempts
// retried, and a live face reacting to every instruction on every test
// face, with 1, 2 and 3 gestures and several reaction delays. It prints
// each session as a JSON line, then a markdown table.
//
//	go run ./cmd/replayeval                 # the full matrix (make replay-eval)
//	go run ./cmd/replayeval -n 2 -parallel 2 -reactions 1s
//
// Exit status: 0 when no replay passed and every reactive session did,
// 1 otherwise, 2 on a bad flag or a server that does not start.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/replayeval"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replayeval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20, "replay sessions per variant: n default sessions, and n two- and three-gesture sessions (half each)")
	faces := fs.String("faces", strings.Join(replayeval.Faces, ","), "test faces of the reactive sessions (testdata/faces)")
	reactions := fs.String("reactions", "0.3s,1s,2s", "reaction delays of the reactive sessions")
	counts := fs.String("gestures", "1,2,3", "numbers of gestures of the reactive sessions")
	kinds := fs.String("kinds", "replay,reactive", "what to play: replay, reactive, and probe (n default sessions of the recording after a 5 s lead, beyond the acceptance)")
	parallel := fs.Int("parallel", 3, "sessions at once")
	timeout := fs.Duration("timeout", 4*time.Minute, "time allowed per session")
	logs := fs.Bool("log", false, "the server's logs on stderr")
	trace := fs.Bool("trace", false, "print each session's messages with their times")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	trials, err := matrix(*n, *faces, *reactions, *counts, *kinds)
	if err != nil {
		fmt.Fprintln(stderr, "replayeval:", err)
		return 2
	}
	var lw io.Writer
	if *logs {
		lw = stderr
	}
	srv, err := replayeval.StartServer(lw)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	defer srv.Stop()
	p := replayeval.NewPlayer(srv.Base)
	enc := json.NewEncoder(stdout)
	start := time.Now()
	outs := p.PlayAll(ctx, trials, *parallel, *timeout, func(o replayeval.Outcome) {
		line := map[string]any{"kind": o.Kind(), "replay": o.Replay, "face": o.Face, "gestures": o.Gestures,
			"reaction_s": o.Reaction.Seconds(), "sid": o.SID, "result": o.Result, "attempts": o.Attempts, "failed": o.Reasons}
		if o.Err != nil {
			line["error"] = o.Err.Error()
		}
		if *trace {
			var ms []string
			for _, m := range o.Messages {
				if m.Type == "progress" {
					continue
				}
				ms = append(ms, fmt.Sprintf("%.2fs %s %s%s%s", m.At.Seconds(), m.Type, m.Gesture, m.Reason, m.Code))
			}
			line["trace"] = ms
		}
		_ = enc.Encode(line)
	})
	fmt.Fprintf(stdout, "\n%s\n%d sessions in %s, %d at once, on %s (%d cores)\n", replayeval.Table(outs), len(outs),
		time.Since(start).Round(time.Second), *parallel, cpuName(), runtime.NumCPU())
	code := 0
	for _, o := range outs {
		if o.Passed() == (o.Kind() == "replay") {
			code = 1
		}
	}
	return code
}

// matrix lists the trials: the replays first, then the reactive sessions.
func matrix(n int, faces, reactions, counts, kinds string) ([]replayeval.Trial, error) {
	var trials []replayeval.Trial
	seed := uint64(1)
	for _, kind := range strings.Split(kinds, ",") {
		switch kind {
		case "replay":
			face, err := facegen.TestFace("mazie-hirono.jpg")
			if err != nil {
				return nil, err
			}
			for _, v := range replayeval.Variants {
				for i := 0; i < 2*n; i++ {
					g := 0 // n default sessions, then two and three gestures in turn
					if i >= n {
						g = 2 + i%2
					}
					trials = append(trials, replayeval.Trial{Replay: v, Face: face, Gestures: g, Seed: seed})
					seed++
				}
			}
		case "probe":
			face, err := facegen.TestFace("mazie-hirono.jpg")
			if err != nil {
				return nil, err
			}
			for i := 0; i < n; i++ {
				trials = append(trials, replayeval.Trial{Replay: replayeval.Lead5s, Face: face, Seed: seed})
				seed++
			}
		case "reactive":
			for _, name := range strings.Split(faces, ",") {
				face, err := facegen.TestFace(name)
				if err != nil {
					return nil, err
				}
				for _, rs := range strings.Split(reactions, ",") {
					r, err := time.ParseDuration(rs)
					if err != nil || r <= 0 {
						return nil, fmt.Errorf("bad reaction delay %q", rs)
					}
					for _, cs := range strings.Split(counts, ",") {
						g, err := strconv.Atoi(cs)
						if err != nil || g < 1 || g > 5 {
							return nil, fmt.Errorf("bad number of gestures %q", cs)
						}
						trials = append(trials, replayeval.Trial{Face: face, Gestures: g, Reaction: r, Jitter: replayeval.JitterFor(r), Seed: seed})
						seed++
					}
				}
			}
		default:
			return nil, fmt.Errorf("unknown kind %q: want replay, reactive or probe", kind)
		}
	}
	return trials, nil
}

// cpuName is the model name of /proc/cpuinfo.
func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
