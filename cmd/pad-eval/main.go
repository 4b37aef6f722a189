// Command pad-eval evaluates presentation attack detection in the style of
// ISO/IEC 30107-3: it scores every image or clip under a bona fide folder and
// under an attack folder whose subfolders name the attack species, then
// prints APCER per species, APCER_AP, BPCER and ACER at the pass mark, and
// the pass marks that keep BPCER at 1 % and 5 % with the APCER there.
//
//	go run ./cmd/pad-eval -bonafide DIR [-attack DIR] [-simulate] [-pass 0.5] [-frames 8] [-json] [-json-out FILE] [-samples FILE]
//	go run ./cmd/pad-eval -bonafide DIR -attack DIR -scores FILE [-pass 50]
//
// By default it scores the media itself with the server's passive check
// (YuNet, then the MiniFASNet anti-spoofing model on the one face, in
// colour: see modelScorer), so scores are real-probabilities 0–1 and the
// pass mark is the model threshold (-pass 0.5). It reads PNG and JPEG
// images, animated GIFs and y4m clips (other videos: convert with ffmpeg).
// -simulate adds two attack species made from every bona fide medium by
// simulating a recapture on a screen (facegen.SimulateRecapture): they are
// simulations, and are named so. -samples writes each medium's score as
// CSV (path,score), which -scores reads back.
//
// With -scores the scores come precomputed (CSV rows path,score, or JSON;
// paths relative to the scores file's folder), in any unit: livegate's
// liveness_score 0–100 with the default pass mark 50, for instance.
//
// An evaluation in the standard's style, not a certification.
package main

import (
	"context"
	"encoding/csv"
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
	"strconv"
	"strings"

	"github.com/livegate/livegate/internal/pad"
	"github.com/livegate/livegate/internal/perception"
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
	passSet                  bool
	json                     bool
	jsonOut, samples         string
	simulate                 bool
	frames                   int
	models                   perception.PassiveConfig
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("pad-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bonafide, "bonafide", "", "folder of bona fide images or clips (searched recursively); several separated by commas")
	fs.StringVar(&o.attack, "attack", "", "folder whose subfolders, named by attack species, hold attack images or clips")
	fs.StringVar(&o.scores, "scores", "", "precomputed scores: CSV (path,score) or JSON, paths relative to the file; without it the model scores the media")
	fs.Float64Var(&o.pass, "pass", 0.5, "pass mark: a score at or above it passes as bona fide (default 0.5 with the model, 50 with -scores)")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON instead of tables")
	fs.StringVar(&o.jsonOut, "json-out", "", "also write the report as JSON to this file")
	fs.StringVar(&o.samples, "samples", "", "write every medium's score to this CSV file (path,score)")
	fs.BoolVar(&o.simulate, "simulate", false, "model only: add simulated screen recaptures of every bona fide medium as attack species")
	fs.IntVar(&o.frames, "frames", 8, "model only: frames sampled per clip")
	fs.StringVar(&o.models.YuNet, "yunet", "", "YuNet model (default: the repository's)")
	fs.StringVar(&o.models.MiniFASNetV2, "minifasnet-v2", "", "MiniFASNetV2 model (default: the repository's)")
	fs.StringVar(&o.models.MiniFASNetV1SE, "minifasnet-v1se", "", "MiniFASNetV1SE model (default: the repository's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { o.passSet = o.passSet || f.Name == "pass" })
	if o.scores != "" && !o.passSet {
		o.pass = 50
	}
	if o.bonafide == "" || (o.attack == "" && !o.simulate) {
		return errors.New("-bonafide and -attack (or -simulate) are required")
	}
	if o.simulate && o.scores != "" {
		return errors.New("-simulate needs the model scorer, not -scores")
	}
	scorer, err := newScorer(o)
	if err != nil {
		return err
	}
	if c, ok := scorer.(io.Closer); ok {
		defer c.Close()
	}
	media, err := collect(o.bonafide, o.attack, o.simulate)
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
	if ms, ok := scorer.(*modelScorer); ok && o.simulate {
		for _, sim := range simulations {
			for _, m := range media {
				if m.Species != "" {
					continue
				}
				s, err := ms.ScoreSimulated(ctx, m.Path, sim)
				if err != nil {
					return fmt.Errorf("score %s (%s): %w", m.Path, sim.species, err)
				}
				samples = append(samples, pad.Sample{Path: m.Path + "#" + sim.species, Species: sim.species, Score: s})
			}
		}
	}
	if ms, ok := scorer.(*modelScorer); ok && len(ms.unscored) > 0 {
		fmt.Fprintf(stderr, "pad-eval: %d media had no frame with exactly one face (scored 0):\n  %s\n", len(ms.unscored), strings.Join(ms.unscored, "\n  "))
	}
	if o.samples != "" {
		if err := writeSamples(o.samples, samples); err != nil {
			return err
		}
	}
	r, err := pad.Evaluate(samples, o.pass)
	if err != nil {
		return err
	}
	if o.jsonOut != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteText(stdout)
}

// newScorer picks the scorer the options ask for: precomputed scores with
// -scores, else the model.
func newScorer(o options) (pad.Scorer, error) {
	if o.scores != "" {
		return pad.LoadScores(o.scores)
	}
	return newModelScorer(o.models, o.frames), nil
}

// writeSamples writes path,score rows; a simulated sample's path carries
// its species after a #.
func writeSamples(name string, samples []pad.Sample) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"path", "score"})
	for _, s := range samples {
		p, err := filepath.Abs(s.Path)
		if err != nil {
			return err
		}
		_ = w.Write([]string{p, strconv.FormatFloat(s.Score, 'f', -1, 64)})
	}
	w.Flush()
	return os.WriteFile(name, []byte(b.String()), 0o644)
}

// mediaExt are the extensions of the images and clips the scorer is given.
var mediaExt = []string{".png", ".jpg", ".jpeg", ".gif", ".y4m", ".ivf", ".webm", ".mp4", ".mkv", ".mov", ".avi"}

// collect lists the media under the bona fide folder and under each species
// folder of the attack folder, in a stable order, each with its species.
// bonafide may name several folders, separated by commas; the attack
// folder may be "" when simulated attacks are added.
func collect(bonafide, attack string, simulated bool) ([]pad.Sample, error) {
	var out []pad.Sample
	for _, dir := range strings.Split(bonafide, ",") {
		s, err := walk(dir, "")
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	if attack == "" && simulated {
		return out, nil
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
	if species == 0 && !simulated {
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
