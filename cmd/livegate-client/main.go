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
// With -react PHOTO there is no clip: the face of the photo is rendered live
// (facegen) and reacts to the server as a person does, each instruction
// performed after a reaction delay (-reaction, -jitter), neutral otherwise:
//
//	livegate-client -server http://localhost:8080 -api-key KEY -react face.jpg -number 2 -retry
//
// Exit status: 0 when every session succeeded, 1 when one failed (the
// gesture was not matched), 2 on any error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/facegen"
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
	number                           int
	expires                          int
	// The reactive mode.
	react            string
	reaction, jitter time.Duration
	seed             uint64
	noBlinks         bool
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
	fs.IntVar(&o.number, "number", 0, "number_of_gestures for created sessions without -gestures (default: the server's)")
	fs.IntVar(&o.expires, "expires", 0, "expires_in_seconds for created sessions (default: the server's)")
	fs.StringVar(&o.react, "react", "", "a frontal face photo to render live and react to instructions with, instead of -clip")
	fs.DurationVar(&o.reaction, "reaction", 600*time.Millisecond, "with -react: the reaction delay from an instruction to the start of the movement")
	fs.DurationVar(&o.jitter, "jitter", 200*time.Millisecond, "with -react: reaction delays are drawn uniformly in -reaction ± -jitter")
	fs.Uint64Var(&o.seed, "seed", 1, "with -react: seed of the reaction delays, sway and blinks (session i uses seed+i)")
	fs.BoolVar(&o.noBlinks, "no-blinks", false, "with -react: no natural blinks")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "livegate-client:", err)
		return 2
	}
	switch {
	case clips == "" && o.react == "":
		return fail(errors.New("need -clip or -react"))
	case clips != "" && o.react != "":
		return fail(errors.New("-clip and -react exclude each other"))
	case o.reaction < 0 || o.jitter < 0 || o.jitter > o.reaction:
		return fail(errors.New("-reaction and -jitter must be positive, the jitter at most the reaction"))
	}
	if clips != "" {
		o.clips = strings.Split(clips, ",")
	}
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
	if tpath == "" && len(o.clips) > 0 {
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
	if o.react != "" {
		var err error
		if r.faces, err = newFaces(o.react); err != nil {
			return fail(err)
		}
	}
	return r.runAll(ctx, stderr)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// loadClip reads and encodes a y4m clip.
func loadClip(path string, hold time.Duration) (*client.Clip, error) {
	frames, fps, err := facegen.ReadY4M(path)
	if err != nil {
		return nil, err
	}
	if fps == 0 {
		fps = 15
	}
	return client.EncodeClip(frames, fps, int(hold.Seconds()*float64(fps)))
}
