// Command pad-eval evaluates presentation attack detection in the style of
// ISO/IEC 30107-3: it scores every image or clip under a bona fide folder and
// under an attack folder whose subfolders name the attack species, then
// prints APCER per species, APCER_AP, BPCER and ACER at the pass mark, and
// the pass marks that keep BPCER at 1 % and 5 % with the APCER there.
//
//	go run ./cmd/pad-eval -bonafide DIR -attack DIR -scores FILE [-pass 50] [-json]
//
// Scores say how bona fide a medium looks (higher is more bona fide), in
// the pass mark's unit: livegate's liveness_score 0–100 with the default
// pass mark 50, or a model's real-probability with -pass 0.5. Today the
// scores come precomputed from -scores (CSV rows path,score, or JSON; paths
// relative to the scores file's folder); newScorer is where the perception
// package's anti-spoofing model will be plugged in.
//
// An evaluation in the standard's style, not a certification.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"

	"github.com/livegate/livegate/internal/pad"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pad-eval:", err)
		os.Exit(1)
	}
}

type options struct {
	bonafide, attack, scores string
	pass                     float64
	json                     bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("pad-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bonafide, "bonafide", "", "folder of bona fide images or clips (searched recursively)")
	fs.StringVar(&o.attack, "attack", "", "folder whose subfolders, named by attack species, hold attack images or clips")
	fs.StringVar(&o.scores, "scores", "", "precomputed scores: CSV (path,score) or JSON, paths relative to the file")
	fs.Float64Var(&o.pass, "pass", 50, "pass mark: a score at or above it passes as bona fide")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON instead of tables")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.bonafide == "" || o.attack == "" {
		return errors.New("-bonafide and -attack are required")
	}
	scorer, err := newScorer(o)
	if err != nil {
		return err
	}
	media, err := collect(o.bonafide, o.attack)
	if err != nil {
		return err
	}
	samples := make([]pad.Sample, 0, len(media))
	for _, m := range media {
		s, err := scorer.Score(ctx, m.Path)
		if err != nil {
			return fmt.Errorf("score %s: %w", m.Path, err)
		}
		m.Score = s
		samples = append(samples, m)
	}
	r, err := pad.Evaluate(samples, o.pass)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteText(stdout)
}

// newScorer picks the scorer the options ask for. It is the one place a
// model-backed scorer (MiniFASNet from the perception package) will be
// added, behind a flag, without touching the rest of the command.
func newScorer(o options) (pad.Scorer, error) {
	if o.scores == "" {
		return nil, errors.New("-scores is required (no model scorer is built in yet)")
	}
	return pad.LoadScores(o.scores)
}

// mediaExt are the extensions of the images and clips the scorer is given.
var mediaExt = []string{".png", ".jpg", ".jpeg", ".y4m", ".ivf", ".webm", ".mp4", ".mkv", ".mov", ".avi"}

// collect lists the media under the bona fide folder and under each species
// folder of the attack folder, in a stable order, each with its species.
func collect(bonafide, attack string) ([]pad.Sample, error) {
	out, err := walk(bonafide, "")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(attack)
	if err != nil {
		return nil, err
	}
	species := 0
	for _, e := range entries {
		p := filepath.Join(attack, e.Name())
		if !e.IsDir() {
			if isMedia(e.Name()) {
				return nil, fmt.Errorf("%s: attack media must be in a folder named by its species", p)
			}
			continue
		}
		s, err := walk(p, e.Name())
		if err != nil {
			return nil, err
		}
		if len(s) > 0 {
			species++
		}
		out = append(out, s...)
	}
	if species == 0 {
		return nil, fmt.Errorf("%s: no species folder holds any media", attack)
	}
	return out, nil
}

func walk(root, species string) ([]pad.Sample, error) {
	var out []pad.Sample
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isMedia(d.Name()) {
			out = append(out, pad.Sample{Path: p, Species: species})
		}
		return nil
	})
	return out, err
}

func isMedia(name string) bool {
	return slices.Contains(mediaExt, strings.ToLower(filepath.Ext(name)))
}
