package main

import (
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/session"
)

// The real-footage mode (-footage): real clips with an annotation file that
// says when each gesture happens (testdata/footage/annotations.json). Each
// clip is decoded at the analysed frame rate, letterboxed into 640×480 as
// the page's camera would be, and played once through the engine; then
// every gesture of the random pool is looked for in the whole clip: a
// challenge asking that gesture alone (unpaced: a recording cannot react)
// runs from the first frame, and after each match (or the end of a try) a
// new one starts, with a new baseline, one second later. A match inside an
// interval of its gesture (± the annotation's tolerance) is right; one
// outside every such interval is a false match; a "must" interval with no
// match is a miss.

// footageFile is the annotation file.
type footageFile struct {
	ToleranceS float64       `json:"tolerance_s"`
	Clips      []footageClip `json:"clips"`
}

type footageClip struct {
	File      string            `json:"file"`
	Intervals []footageInterval `json:"intervals"`
}

type footageInterval struct {
	Gesture session.Gesture `json:"gesture"`
	From    float64         `json:"from"` // seconds
	To      float64         `json:"to"`
	Must    bool            `json:"must"`
	Note    string          `json:"note"`
}

func (iv footageInterval) holds(g session.Gesture, at, tol float64) bool {
	return iv.Gesture == g && at >= iv.From-tol && at <= iv.To+tol
}

// footageResult is one clip's score.
type footageResult struct {
	Clip    string                        `json:"clip"`
	Frames  int                           `json:"frames"`
	Matches map[session.Gesture][]float64 `json:"matches"` // seconds
	False   []string                      `json:"falsesmatches"`
	Musts   int                           `json:"musts"`
	Missed  []string                      `json:"missed"`
	// MinContinuity is the least Observation.Continuity over the clip's
	// frames where it is known (a fast real turn and a cut are told apart
	// by it); TrackChanges counts the engine's new track ids for a face
	// (each restarts a challenge's baseline).
	MinContinuity float64 `json:"min_continuity"`
	TrackChanges  int     `json:"track_changes"`
}

func readFootage(path string) (*footageFile, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var f footageFile
	dec := json.NewDecoder(file)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, c := range f.Clips {
		for _, iv := range c.Intervals {
			if !slices.Contains(session.RandomPool, iv.Gesture) || iv.To < iv.From {
				return nil, fmt.Errorf("%s: %s: bad interval %+v (gestures of the random pool only)", path, c.File, iv)
			}
		}
	}
	return &f, nil
}

// footageFPS, footageW and footageH: what the live pipeline analyses
// (-fps resamples to other rates: a 7 frames/s webcam).
const (
	footageFPS         = 15
	footageW, footageH = 640, 480
	footageRestart     = time.Second
)

// scoreFootage plays every clip of the annotation file at path (clip files
// relative to it), resampled to fps, and scores it.
func scoreFootage(ev *evaluator, path string, fps int) ([]footageResult, error) {
	f, err := readFootage(path)
	if err != nil {
		return nil, err
	}
	var out []footageResult
	for _, c := range f.Clips {
		obs, err := ev.observeVideo(filepath.Join(filepath.Dir(path), c.File), fps)
		if err != nil {
			return nil, err
		}
		r := footageResult{Clip: c.File, Frames: len(obs), Matches: map[session.Gesture][]float64{}}
		r.MinContinuity, r.TrackChanges = continuityOf(obs)
		for _, g := range session.RandomPool {
			for _, at := range footageMatches(obs, g) {
				r.Matches[g] = append(r.Matches[g], at)
				if !slices.ContainsFunc(c.Intervals, func(iv footageInterval) bool { return iv.holds(g, at, f.ToleranceS) }) {
					r.False = append(r.False, fmt.Sprintf("%s at %.2f s", g, at))
				}
			}
		}
		for _, iv := range c.Intervals {
			if !iv.Must {
				continue
			}
			r.Musts++
			if !slices.ContainsFunc(r.Matches[iv.Gesture], func(at float64) bool { return iv.holds(iv.Gesture, at, f.ToleranceS) }) {
				r.Missed = append(r.Missed, fmt.Sprintf("%s %.2f–%.2f s", iv.Gesture, iv.From, iv.To))
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// observeVideo runs the clip through a fresh engine at fps; the
// observations' times start at the zero time.
func (ev *evaluator) observeVideo(path string, fps int) ([]gesture.Observation, error) {
	pred, err := gesture.NewModelPredictor(ev.model)
	if err != nil {
		return nil, err
	}
	engine := gesture.NewEngine(ev.det, pred, engineOptions()...)
	var obs []gesture.Observation
	w, h := footageW, footageH
	if analysisSize.X > 0 {
		w, h = analysisSize.X, analysisSize.Y
	}
	err = perception.ReadVideo(path, float64(fps), w, h, func(t time.Duration, img *image.Gray) bool {
		obs = append(obs, engine.Process(img, time.Time{}.Add(t)))
		return true
	})
	if err == nil {
		err = engine.Err()
	}
	return obs, err
}

// continuityOf returns the least known Observation.Continuity of obs (1
// when none is known) and how many times a face's track id changed.
func continuityOf(obs []gesture.Observation) (float64, int) {
	least, changes, track := 1.0, 0, 0
	for _, o := range obs {
		if o.Continuity != 0 {
			least = min(least, o.Continuity)
		}
		if o.Faces > 0 {
			if track != 0 && o.Track != track {
				changes++
			}
			track = o.Track
		}
	}
	return least, changes
}

// footageMatches returns the times (seconds) at which challenges asking g
// alone match, one after the other through the clip.
func footageMatches(obs []gesture.Observation, g session.Gesture) []float64 {
	cfg := gesture.ChallengeConfig{Unpaced: true, GestureTimeout: time.Hour, MaxWrong: 1 << 20}
	var out []float64
	for i := 0; i < len(obs); {
		c := gesture.NewChallenge([]session.Gesture{g}, cfg)
		var resume time.Time
		for ; i < len(obs) && !c.Done(); i++ {
			for _, e := range c.Observe(obs[i]) {
				if e.Type == gesture.EventMatch {
					out = append(out, e.T.Sub(time.Time{}).Seconds())
					resume = e.T.Add(footageRestart)
				}
			}
		}
		for i < len(obs) && obs[i].T.Before(resume) {
			i++
		}
	}
	return out
}

func writeFootage(w io.Writer, rs []footageResult) {
	fmt.Fprintln(w, "| clip | frames | matches | false matches | must intervals found | least continuity, track changes |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rs {
		var ms []string
		for _, g := range session.RandomPool {
			for _, at := range r.Matches[g] {
				ms = append(ms, fmt.Sprintf("%s %.2f s", g, at))
			}
		}
		falses := "0"
		if len(r.False) > 0 {
			falses = fmt.Sprintf("%d: %s", len(r.False), strings.Join(r.False, ", "))
		}
		found := fmt.Sprintf("%d of %d", r.Musts-len(r.Missed), r.Musts)
		if len(r.Missed) > 0 {
			found += " (missed " + strings.Join(r.Missed, ", ") + ")"
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %.3f, %d |\n", r.Clip, r.Frames, strings.Join(ms, ", "), falses, found, r.MinContinuity, r.TrackChanges)
	}
}
