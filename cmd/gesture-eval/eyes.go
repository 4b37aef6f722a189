package main

import (
	"fmt"
	"io"
	"math"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
)

// eyeSeparation is how well one eye cue tells the eye's open frames from
// its shut ones in a clip with a truth: the two sets' mean and standard
// deviation, and the separation d′ (the difference of the means over the
// sets' pooled standard deviation; under about 2 the frames overlap).
type eyeSeparation struct {
	Eye, Cue       string
	Open, Shut     int // frames
	OpenMean, OpSD float64
	ShutMean, ShSD float64
	DPrime         float64
}

// Frames whose truth openness is over eyeOpenTruth are open, under
// eyeShutTruth shut; those between (a lid on its way) are left out.
const (
	eyeOpenTruth = 0.9
	eyeShutTruth = 0.1
)

// eyeSeparations measures, per eye (the user's left and right), the
// engine's two openness cues (aspect ratio and picture contrast, as
// Observation gives them) on the frames of obs with one face. The rows
// come in a fixed order, which writeEyeTable relies on: left aspect
// ratio, left contrast, right aspect ratio, right contrast.
func eyeSeparations(obs []gesture.Observation, tr *facegen.Truth) []eyeSeparation {
	type cue struct {
		eye, name string
		open      func(f *facegen.FrameTruth) float64
		val       func(o *gesture.Observation) float64
	}
	left := func(f *facegen.FrameTruth) float64 { return float64(f.LeftEye) }
	right := func(f *facegen.FrameTruth) float64 { return float64(f.RightEye) }
	cues := []cue{
		{"left", "aspect ratio", left, func(o *gesture.Observation) float64 { return o.EyeLeft }},
		{"left", "contrast", left, func(o *gesture.Observation) float64 { return o.EyeContrastLeft }},
		{"right", "aspect ratio", right, func(o *gesture.Observation) float64 { return o.EyeRight }},
		{"right", "contrast", right, func(o *gesture.Observation) float64 { return o.EyeContrastRight }},
	}
	var out []eyeSeparation
	for _, c := range cues {
		var open, shut []float64
		for i := range obs {
			if obs[i].Faces != 1 || i >= len(tr.Frames) {
				continue
			}
			switch v, op := c.val(&obs[i]), c.open(&tr.Frames[i]); {
			case op > eyeOpenTruth:
				open = append(open, v)
			case op < eyeShutTruth:
				shut = append(shut, v)
			}
		}
		s := eyeSeparation{Eye: c.eye, Cue: c.name, Open: len(open), Shut: len(shut)}
		s.OpenMean, s.OpSD = meanSD(open)
		s.ShutMean, s.ShSD = meanSD(shut)
		if pooled := math.Sqrt((s.OpSD*s.OpSD + s.ShSD*s.ShSD) / 2); len(open) > 1 && len(shut) > 1 && pooled > 0 {
			s.DPrime = (s.OpenMean - s.ShutMean) / pooled
		}
		out = append(out, s)
	}
	return out
}

// meanSD is the mean and population standard deviation of x (0, 0 when
// empty).
func meanSD(x []float64) (float64, float64) {
	if len(x) == 0 {
		return 0, 0
	}
	var s, s2 float64
	for _, v := range x {
		s += v
		s2 += v * v
	}
	n := float64(len(x))
	m := s / n
	return m, math.Sqrt(max(s2/n-m*m, 0))
}

func writeEyeSeparations(w io.Writer, ss []eyeSeparation) {
	fmt.Fprintf(w, "%6s  %-12s  %5s  %15s  %5s  %15s  %6s  %5s\n", "eye", "cue", "open", "mean ± SD", "shut", "mean ± SD", "ratio", "d′")
	for _, s := range ss {
		ratio := math.NaN()
		if s.OpenMean != 0 {
			ratio = s.ShutMean / s.OpenMean
		}
		fmt.Fprintf(w, "%6s  %-12s  %5d  %7.3f ± %5.3f  %5d  %7.3f ± %5.3f  %6.2f  %5.2f\n",
			s.Eye, s.Cue, s.Open, s.OpenMean, s.OpSD, s.Shut, s.ShutMean, s.ShSD, ratio, s.DPrime)
	}
}

// writeEyeTable prints, for every live clip of cells (-matrix -eyes) in
// which an eye shuts, the d′ of each cue for the user's left / right eye
// ("-" for an eye that never shuts in the clip).
func writeEyeTable(w io.Writer, cells []*matrixClip) {
	fmt.Fprintf(w, "%-12s  %-24s  %6s  %15s  %15s\n", "face", "condition", "script", "contrast d′ L/R", "aspect d′ L/R")
	for _, c := range cells {
		if len(c.Eyes) != 4 || (c.Eyes[0].Shut < 2 && c.Eyes[2].Shut < 2) {
			continue
		}
		d := func(s eyeSeparation) string {
			if s.Shut < 2 || s.Open < 2 {
				return "-"
			}
			return fmt.Sprintf("%.1f", s.DPrime)
		}
		fmt.Fprintf(w, "%-12s  %-24s  %6s  %15s  %15s\n", c.Face, c.Condition+c.variant(), c.Script,
			d(c.Eyes[1])+" / "+d(c.Eyes[3]), d(c.Eyes[0])+" / "+d(c.Eyes[2]))
	}
}
