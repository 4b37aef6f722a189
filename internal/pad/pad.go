// Package pad evaluates presentation attack detection in the style of
// ISO/IEC 30107-3: from scored bona fide and attack samples it computes
// APCER per attack species, APCER_AP (the worst species), BPCER and ACER at a
// pass mark, and the sweep that finds the pass mark for a target BPCER.
//
// A score says how bona fide a sample looks: higher is more bona fide, in
// any unit (a model's probability 0–1, livegate's liveness_score 0–100), and
// a sample passes as bona fide when its score is at or above the pass mark,
// the rule liveness_score uses. Pure Go, no I/O: cmd/pad-eval finds the
// media and scores them through a Scorer.
//
// The figures are an evaluation in the standard's style, not a
// certification: the standard also fixes how attack instruments are made
// and how many subjects take part, which this package knows nothing about.
package pad

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Sample is one scored presentation.
type Sample struct {
	// Path names the medium (for reports and errors).
	Path string `json:"path"`
	// Species is the attack species (the attack folder's name); empty for a
	// bona fide presentation.
	Species string `json:"species,omitempty"`
	// Score: higher is more bona fide.
	Score float64 `json:"score"`
}

// Scorer scores one medium (an image or a clip) at path. Implementations:
// FileScores (precomputed scores) today; the anti-spoofing model of the
// perception package later.
type Scorer interface {
	Score(ctx context.Context, path string) (float64, error)
}

// ScorerFunc adapts a function to Scorer.
type ScorerFunc func(ctx context.Context, path string) (float64, error)

// Score calls f.
func (f ScorerFunc) Score(ctx context.Context, path string) (float64, error) { return f(ctx, path) }

// SpeciesResult is the error rate of one attack species.
type SpeciesResult struct {
	Species  string  `json:"species"`
	N        int     `json:"n"`
	Accepted int     `json:"accepted"` // attacks that passed as bona fide
	APCER    float64 `json:"apcer"`
}

// Point is the error rates at one pass mark.
type Point struct {
	PassMark float64         `json:"pass_mark"`
	BPCER    float64         `json:"bpcer"`
	Rejected int             `json:"bona_fide_rejected"`
	APCERAP  float64         `json:"apcer_ap"` // the worst species' APCER
	ACER     float64         `json:"acer"`     // (APCER_AP + BPCER) / 2
	Species  []SpeciesResult `json:"species"`
}

// SweepPoint is the strictest pass mark whose BPCER stays at or under a
// target, with the error rates there.
type SweepPoint struct {
	TargetBPCER float64 `json:"target_bpcer"`
	Point
}

// Report is a whole evaluation.
type Report struct {
	BonaFide int          `json:"bona_fide"`
	Attacks  int          `json:"attacks"`
	At       Point        `json:"at"` // at the given pass mark
	Sweep    []SweepPoint `json:"sweep"`
	// EER is the error rate where APCER_AP and BPCER meet (their mean at the
	// candidate pass mark where they are closest, the lower mean between
	// equally close marks), EERPassMark that mark.
	EER         float64 `json:"eer"`
	EERPassMark float64 `json:"eer_pass_mark"`
}

// Targets are the BPCER targets of the sweep: 1 % and 5 %, as issue #11 and
// common practice report APCER at them.
var Targets = []float64{0.01, 0.05}

// Evaluate computes the report at passMark. It needs at least one bona fide
// and one attack sample.
func Evaluate(samples []Sample, passMark float64) (Report, error) {
	var bona []float64
	var attacks []Sample
	for _, s := range samples {
		if math.IsNaN(s.Score) {
			return Report{}, fmt.Errorf("pad: %s: score is NaN", s.Path)
		}
		if s.Species == "" {
			bona = append(bona, s.Score)
		} else {
			attacks = append(attacks, s)
		}
	}
	if len(bona) == 0 || len(attacks) == 0 {
		return Report{}, fmt.Errorf("pad: need bona fide and attack samples; got %d and %d", len(bona), len(attacks))
	}
	slices.Sort(bona)
	r := Report{BonaFide: len(bona), Attacks: len(attacks), At: at(bona, attacks, passMark)}

	for _, t := range Targets {
		// k bona fide rejections are allowed; the strictest mark rejecting
		// at most k is the (k+1)-th lowest bona fide score (ties can only
		// reject fewer).
		k := int(math.Floor(t*float64(len(bona)) + 1e-9))
		r.Sweep = append(r.Sweep, SweepPoint{TargetBPCER: t, Point: at(bona, attacks, bona[k])})
	}

	cands := slices.Clone(bona)
	for _, a := range attacks {
		cands = append(cands, a.Score)
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	cands = append(cands, math.Nextafter(cands[len(cands)-1], math.Inf(1)))
	best := math.Inf(1)
	for _, c := range cands {
		p := at(bona, attacks, c)
		// Closest crossing first; between equally close marks (few
		// samples make steps), the lower error.
		d, e := math.Abs(p.APCERAP-p.BPCER), (p.APCERAP+p.BPCER)/2
		if d < best || d == best && e < r.EER {
			best, r.EER, r.EERPassMark = d, e, c
		}
	}
	return r, nil
}

// at computes the error rates at pass mark m; bona is sorted.
func at(bona []float64, attacks []Sample, m float64) Point {
	p := Point{PassMark: m}
	p.Rejected, _ = slices.BinarySearch(bona, m) // scores below m
	p.BPCER = float64(p.Rejected) / float64(len(bona))
	by := map[string]*SpeciesResult{}
	for _, a := range attacks {
		s := by[a.Species]
		if s == nil {
			s = &SpeciesResult{Species: a.Species}
			by[a.Species] = s
		}
		s.N++
		if a.Score >= m {
			s.Accepted++
		}
	}
	for _, s := range by {
		s.APCER = float64(s.Accepted) / float64(s.N)
		p.Species = append(p.Species, *s)
		p.APCERAP = max(p.APCERAP, s.APCER)
	}
	slices.SortFunc(p.Species, func(a, b SpeciesResult) int { return cmp.Compare(a.Species, b.Species) })
	p.ACER = (p.APCERAP + p.BPCER) / 2
	return p
}

// WriteText writes r as plain-text tables (rates in per cent).
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "samples\tbona fide %d\tattacks %d\t\n", r.BonaFide, r.Attacks)
	fmt.Fprintf(tw, "\t\t\t\n")
	writePoint(tw, "at pass mark", r.At)
	for _, s := range r.Sweep {
		fmt.Fprintf(tw, "\t\t\t\n")
		writePoint(tw, fmt.Sprintf("BPCER ≤ %s", pct(s.TargetBPCER)), s.Point)
	}
	fmt.Fprintf(tw, "\t\t\t\n")
	fmt.Fprintf(tw, "EER\t%s\tat pass mark %s\t\n", pct(r.EER), num(r.EERPassMark))
	return tw.Flush()
}

func writePoint(w io.Writer, title string, p Point) {
	fmt.Fprintf(w, "%s\t%s\t\t\n", title, num(p.PassMark))
	fmt.Fprintf(w, "BPCER\t%s\t%d rejected\t\n", pct(p.BPCER), p.Rejected)
	for _, s := range p.Species {
		fmt.Fprintf(w, "APCER %s\t%s\t%d of %d accepted\t\n", s.Species, pct(s.APCER), s.Accepted, s.N)
	}
	fmt.Fprintf(w, "APCER_AP\t%s\t\t\n", pct(p.APCERAP))
	fmt.Fprintf(w, "ACER\t%s\t\t\n", pct(p.ACER))
}

func pct(x float64) string { return fmt.Sprintf("%.2f %%", 100*x) }

func num(x float64) string {
	s := fmt.Sprintf("%.4f", x)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
