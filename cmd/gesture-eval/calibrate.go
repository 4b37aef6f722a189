package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
)

// The calibration mode (-calibrate): how many degrees the engine reads for
// a known head turn or tilt. For every face and condition facegen renders
// one clip (no sway, no blinks) that holds each pose of calibYaw and
// calibPitch for a while, back to neutral between them; the engine
// (YuNet + the 68-point model, as in production) reads every frame, and
// for each held frame the engine's yaw or pitch, less its median over the
// clip's neutral frames (the challenge's thresholds are relative to a
// baseline too), is set against facegen's truth. The same is done with
// the pose solver alone on facegen's own landmarks ("solver on true
// landmarks"), which tells the solver's share of an error from the
// landmark model's.

// calibYaw and calibPitch are the held poses, degrees (yaw > 0 the user's
// own left, pitch > 0 up).
var (
	calibYaw   = []float64{-30, -20, -10, 10, 20, 30}
	calibPitch = []float64{-20, -15, -10, 10, 15, 20}
)

// calibConditions are the capture conditions of the calibration, by
// their names in matrixConditions.
var calibConditions = []string{"clean", "dark+noise", "far+blur"}

// calibScript holds every pose for 1.2 s (the turn takes part of it), with
// 0.8 s of neutral between two poses.
func calibScript() string {
	var b strings.Builder
	b.WriteString("neutral 1s")
	step := func(code string, deg float64) {
		fmt.Fprintf(&b, "; %s %gdeg 1.2s; neutral 0.8s", code, deg)
	}
	for _, y := range calibYaw {
		if y > 0 {
			step("HEAD_LEFT", y)
		} else {
			step("HEAD_RIGHT", -y)
		}
	}
	for _, p := range calibPitch {
		if p > 0 {
			step("HEAD_UP", p)
		} else {
			step("HEAD_DOWN", -p)
		}
	}
	return b.String()
}

// calibSample is one held frame: the axis ("yaw" or "pitch"), the scripted
// amplitude (signed), facegen's true angle, the engine's reading and the
// solver's on the true landmarks, both relative to their neutral medians.
type calibSample struct {
	Face, Condition string
	Axis            string
	Target          float64
	True            float64
	Read            float64
	Solver          float64
}

// calibClip is what one clip gave: its held samples and the engine's
// absolute neutral pose (its offset from the frontal truth).
type calibClip struct {
	Face, Condition          string
	NeutralYaw, NeutralPitch float64
	Missed                   int // held frames without a face
	Samples                  []calibSample
	// SwayYaw and SwayPitch are the largest excursions, degrees, of the
	// engine's reading from the first half second's mean over a neutral
	// clip with sway, blinks and talking (swayScript).
	SwayYaw, SwayPitch float64
}

// swayScript is a person waiting for an instruction: still, with the
// renderer's natural sway and blinks, saying a few words.
const swayScript = "neutral 1s; HEAD_OPEN_MOUTH 0.4 0.5s; neutral 0.3s; HEAD_OPEN_MOUTH 0.25 0.4s; neutral 0.6s; " +
	"blink 0.5s; HEAD_OPEN_MOUTH 0.5 0.6s; neutral 0.4s; HEAD_OPEN_MOUTH 0.3 0.4s; neutral 1.5s"

type calibOpts struct {
	faces, conditions string
	footage           string // annotation file of real clips, or ""
	dir               string
	yunet, landmarks  string
}

// runCalibrate renders (or finds in the cache) the calibration clips,
// measures them and prints the tables.
func runCalibrate(o calibOpts, stdout io.Writer) error {
	clips, err := calibrate(o)
	if err != nil {
		return err
	}
	writeCalibration(stdout, clips)
	if o.footage == "" {
		return nil
	}
	ev, err := newEvaluator(o.yunet, o.landmarks, nil)
	if err != nil {
		return err
	}
	defer ev.close()
	ps, err := footagePoses(ev, o.footage)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	writeFootagePoses(stdout, ps)
	return nil
}

func calibrate(o calibOpts) ([]*calibClip, error) {
	faces, err := matrixFaces(o.faces)
	if err != nil {
		return nil, err
	}
	var conds []int
	for _, cn := range strings.Split(o.conditions, ",") {
		i := conditionIndex(cn)
		if i < 0 {
			return nil, fmt.Errorf("-calibrate: unknown condition %q (have %s)", cn, strings.Join(defaultConditions(), ", "))
		}
		conds = append(conds, i)
	}
	if o.dir == "" {
		if o.dir, err = defaultMatrixDir(); err != nil {
			return nil, err
		}
	}
	ev, err := newEvaluator(o.yunet, o.landmarks, nil)
	if err != nil {
		return nil, err
	}
	defer ev.close()
	r := facegen.NewRenderer(facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.Config{YuNet: o.yunet, Landmarks: o.landmarks})))
	var out []*calibClip
	for _, face := range faces {
		for _, ci := range conds {
			p := facegen.Params{Face: face, Script: calibScript(), Seed: 1, NoSway: true, NoBlinks: true}
			matrixConditions[ci].Apply(&p)
			c, err := calibrateClip(r, ev, o.dir, p)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", faceName(face), matrixConditions[ci].Name, err)
			}
			sp := facegen.Params{Face: face, Script: swayScript, Seed: 2}
			matrixConditions[ci].Apply(&sp)
			if c.SwayYaw, c.SwayPitch, err = swayClip(r, ev, o.dir, sp); err != nil {
				return nil, fmt.Errorf("%s %s sway: %w", faceName(face), matrixConditions[ci].Name, err)
			}
			c.Face, c.Condition = faceName(face), matrixConditions[ci].Name
			for i := range c.Samples {
				c.Samples[i].Face, c.Samples[i].Condition = c.Face, c.Condition
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func calibrateClip(r *facegen.Renderer, ev *evaluator, dir string, p facegen.Params) (*calibClip, error) {
	cc, err := r.Cached(dir, p)
	if err != nil {
		return nil, err
	}
	tr, err := readTruth(cc.Truth)
	if err != nil {
		return nil, err
	}
	obs, err := ev.observe(cc.Video)
	if err != nil {
		return nil, err
	}
	if len(obs) != len(tr.Frames) {
		return nil, fmt.Errorf("%d frames decoded, truth has %d", len(obs), len(tr.Frames))
	}
	cam := gesture.GuessCamera(tr.Width, tr.Height)
	solver := make([]gesture.Pose, len(tr.Frames))
	for i, f := range tr.Frames {
		var lm gesture.Landmarks
		for k := range lm {
			lm[k] = gesture.Point{X: float32(f.Landmarks[k][0]), Y: float32(f.Landmarks[k][1])}
		}
		solver[i] = gesture.SolvePose(cam, &lm)
	}
	// Neutral: frames with a frontal truth outside every scripted step.
	held := make([]bool, len(tr.Frames))
	for _, iv := range tr.Gestures {
		for i := iv.StartFrame; i <= iv.EndFrame && i < len(held); i++ {
			held[i] = true
		}
	}
	var ny, np, sy, sp []float64
	for i, f := range tr.Frames {
		if held[i] || math.Abs(float64(f.Yaw)) > 0.5 || math.Abs(float64(f.Pitch)) > 0.5 || obs[i].Track == 0 {
			continue
		}
		ny, np = append(ny, obs[i].Yaw), append(np, obs[i].Pitch)
		sy, sp = append(sy, solver[i].Yaw), append(sp, solver[i].Pitch)
	}
	if len(ny) < 5 {
		return nil, fmt.Errorf("only %d neutral frames with a face", len(ny))
	}
	c := &calibClip{NeutralYaw: median(ny), NeutralPitch: median(np)}
	syb, spb := median(sy), median(sp)
	for _, iv := range tr.Gestures {
		axis, sign := "", 1.0
		switch iv.Code {
		case "HEAD_LEFT":
			axis = "yaw"
		case "HEAD_RIGHT":
			axis, sign = "yaw", -1
		case "HEAD_UP":
			axis = "pitch"
		case "HEAD_DOWN":
			axis, sign = "pitch", -1
		default:
			continue
		}
		for i := iv.FullFrame; i <= iv.EndFrame && i < len(obs); i++ {
			if obs[i].Track == 0 {
				c.Missed++
				continue
			}
			s := calibSample{Axis: axis, Target: sign * iv.Amount}
			if axis == "yaw" {
				s.True, s.Read, s.Solver = float64(tr.Frames[i].Yaw), obs[i].Yaw-c.NeutralYaw, solver[i].Yaw-syb
			} else {
				s.True, s.Read, s.Solver = float64(tr.Frames[i].Pitch), obs[i].Pitch-c.NeutralPitch, solver[i].Pitch-spb
			}
			c.Samples = append(c.Samples, s)
		}
	}
	return c, nil
}

// swayClip measures the largest excursion of the engine's yaw and pitch
// from the mean of the first half second of a neutral clip.
func swayClip(r *facegen.Renderer, ev *evaluator, dir string, p facegen.Params) (yaw, pitch float64, err error) {
	cc, err := r.Cached(dir, p)
	if err != nil {
		return 0, 0, err
	}
	obs, err := ev.observe(cc.Video)
	if err != nil {
		return 0, 0, err
	}
	var by, bp float64
	var n int
	for _, o := range obs[:min(len(obs), 7)] {
		if o.Track != 0 {
			by, bp, n = by+o.Yaw, bp+o.Pitch, n+1
		}
	}
	if n == 0 {
		return 0, 0, errors.New("no face in the first half second")
	}
	by, bp = by/float64(n), bp/float64(n)
	for _, o := range obs {
		if o.Track != 0 {
			yaw, pitch = max(yaw, math.Abs(o.Yaw-by)), max(pitch, math.Abs(o.Pitch-bp))
		}
	}
	return yaw, pitch, nil
}

// calibStats summarises samples: the median reading and bias (read − true)
// in degrees, both toward the held pose (a positive bias over-reads), the
// median ratio read/true and its spread (10th to 90th percentile), and the
// median ratio of the solver alone on facegen's landmarks.
type calibStats struct {
	N                int
	Ratio, Bias      float64
	P10, P90         float64
	SolverRatio      float64
	MedianRead, True float64
}

func statsOf(ss []calibSample) calibStats {
	if len(ss) == 0 {
		return calibStats{}
	}
	var ratio, bias, sr, read, tru []float64
	for _, s := range ss {
		sign := math.Copysign(1, s.Target)
		ratio = append(ratio, s.Read/s.True)
		bias = append(bias, sign*(s.Read-s.True))
		sr = append(sr, s.Solver/s.True)
		read = append(read, sign*s.Read)
		tru = append(tru, sign*s.True)
	}
	slices.Sort(ratio)
	return calibStats{N: len(ss), Ratio: median(ratio), Bias: median(bias),
		P10: percentileOf(ratio, 10), P90: percentileOf(ratio, 90),
		SolverRatio: median(sr), MedianRead: median(read), True: median(tru)}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return percentile(s, 50)
}

// percentileOf is a linear-interpolation percentile of sorted values.
func percentileOf(sorted []float64, p float64) float64 {
	x := p / 100 * float64(len(sorted)-1)
	i := int(x)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (x-float64(i))*(sorted[i+1]-sorted[i])
}

func allSamples(clips []*calibClip) []calibSample {
	var all []calibSample
	for _, c := range clips {
		all = append(all, c.Samples...)
	}
	return all
}

// writeCalibration prints three Markdown tables: per axis and amplitude,
// per condition, and per face.
func writeCalibration(w io.Writer, clips []*calibClip) {
	all := allSamples(clips)
	filter := func(keep func(calibSample) bool) []calibSample {
		var out []calibSample
		for _, s := range all {
			if keep(s) {
				out = append(out, s)
			}
		}
		return out
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	head := "\tframes\tread °\tratio read/true\tbias °\tratio p10–p90\tsolver on true landmarks\t"
	row := func(name string, st calibStats) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%+.1f\t%.2f–%.2f\t%.2f\t\n", name, st.N, st.MedianRead, st.Ratio, st.Bias, st.P10, st.P90, st.SolverRatio)
	}
	fmt.Fprintln(tw, "pose"+head)
	for _, axis := range []string{"yaw", "pitch"} {
		targets := calibYaw
		if axis == "pitch" {
			targets = calibPitch
		}
		for _, t := range targets {
			row(fmt.Sprintf("%s %+g°", axis, t), statsOf(filter(func(s calibSample) bool { return s.Axis == axis && s.Target == t })))
		}
	}
	fmt.Fprintln(tw, "\t\t\t\t\t\t\t")
	fmt.Fprintln(tw, "condition"+head)
	var conds, faces []string
	for _, c := range clips {
		if !slices.Contains(conds, c.Condition) {
			conds = append(conds, c.Condition)
		}
		if !slices.Contains(faces, c.Face) {
			faces = append(faces, c.Face)
		}
	}
	for _, axis := range []string{"yaw", "pitch"} {
		for _, cn := range conds {
			row(axis+" "+cn, statsOf(filter(func(s calibSample) bool { return s.Axis == axis && s.Condition == cn })))
		}
	}
	fmt.Fprintln(tw, "\t\t\t\t\t\t\t")
	fmt.Fprintln(tw, "face"+head)
	for _, axis := range []string{"yaw", "pitch"} {
		for _, f := range faces {
			row(axis+" "+f, statsOf(filter(func(s calibSample) bool { return s.Axis == axis && s.Face == f })))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	// The thresholds' view: per face and condition, the weaker direction's
	// median reading of a 20° turn and a 15° tilt against the neutral
	// clip's largest excursion.
	tw = tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "face, condition\tturn 20° read °\tsway yaw °\ttilt 15° read °\tsway pitch °\tneutral yaw °\tneutral pitch °\theld frames without a face\t")
	for _, c := range clips {
		weaker := func(axis string, amp float64) float64 {
			r := math.Inf(1)
			for _, t := range []float64{-amp, amp} {
				var v []float64
				for _, s := range c.Samples {
					if s.Axis == axis && s.Target == t {
						v = append(v, math.Copysign(1, t)*s.Read)
					}
				}
				if len(v) > 0 {
					r = min(r, median(v))
				}
			}
			return r
		}
		fmt.Fprintf(tw, "%s %s\t%.1f\t%.1f\t%.1f\t%.1f\t%+.1f\t%+.1f\t%d\t\n", c.Face, c.Condition,
			weaker("yaw", 20), c.SwayYaw, weaker("pitch", 15), c.SwayPitch, c.NeutralYaw, c.NeutralPitch, c.Missed)
	}
	tw.Flush()
}

// calibDefaultConditions is the -calib-conditions default.
func calibDefaultConditions() string { return strings.Join(calibConditions, ",") }

// calibModelPaths resolves the model paths against the module root, so the
// test can run from the package directory.
func calibModelPaths() (yunet, lm string, err error) {
	root, err := facegen.ModuleRoot()
	if err != nil {
		return "", "", err
	}
	return filepath.Join(root, "models", "yunet", "face_detection_yunet_2022mar.onnx"), landmarks.DefaultModelPath, nil
}

// footagePose is what the engine reads in one annotated interval of a real
// clip: the peak yaw and pitch away from the clip's neutral (the median
// over its frames outside every head-gesture interval), signed.
type footagePose struct {
	Clip                 string
	Gesture              string
	From, To             float64
	PeakYaw, PeakPitch   float64
	Note                 string
	NeutralYaw, NeutralP float64
}

// footagePoses reads the real clips of the annotation file at path: the
// peaks within each head-gesture interval and, as a row of its own
// ("none"), the largest excursion outside them (talking, blinks, sway).
func footagePoses(ev *evaluator, path string) ([]footagePose, error) {
	f, err := readFootage(path)
	if err != nil {
		return nil, err
	}
	head := func(g string) bool {
		return g == "HEAD_LEFT" || g == "HEAD_RIGHT" || g == "HEAD_UP" || g == "HEAD_DOWN"
	}
	var out []footagePose
	for _, c := range f.Clips {
		obs, err := ev.observeVideo(filepath.Join(filepath.Dir(path), c.File), footageFPS)
		if err != nil {
			return nil, err
		}
		at := func(o gesture.Observation) float64 { return o.T.Sub(time.Time{}).Seconds() }
		inHead := func(t float64) bool {
			return slices.ContainsFunc(c.Intervals, func(iv footageInterval) bool {
				return head(string(iv.Gesture)) && t >= iv.From-f.ToleranceS && t <= iv.To+f.ToleranceS
			})
		}
		var ys, ps []float64
		for _, o := range obs {
			if o.Track != 0 && !inHead(at(o)) {
				ys, ps = append(ys, o.Yaw), append(ps, o.Pitch)
			}
		}
		if len(ys) == 0 {
			// No neutral stretch: the clip's own median stands for it.
			for _, o := range obs {
				if o.Track != 0 {
					ys, ps = append(ys, o.Yaw), append(ps, o.Pitch)
				}
			}
		}
		if len(ys) == 0 {
			continue
		}
		ny, np := median(ys), median(ps)
		peak := func(keep func(float64) bool) (float64, float64) {
			var py, pp float64
			for _, o := range obs {
				if o.Track == 0 || !keep(at(o)) {
					continue
				}
				if d := o.Yaw - ny; math.Abs(d) > math.Abs(py) {
					py = d
				}
				if d := o.Pitch - np; math.Abs(d) > math.Abs(pp) {
					pp = d
				}
			}
			return py, pp
		}
		done := map[[2]float64]bool{}
		for _, iv := range c.Intervals {
			if !head(string(iv.Gesture)) || done[[2]float64{iv.From, iv.To}] {
				continue
			}
			done[[2]float64{iv.From, iv.To}] = true
			py, pp := peak(func(t float64) bool { return t >= iv.From && t <= iv.To })
			out = append(out, footagePose{Clip: c.File, Gesture: string(iv.Gesture), From: iv.From, To: iv.To, PeakYaw: py, PeakPitch: pp, Note: iv.Note, NeutralYaw: ny, NeutralP: np})
		}
		py, pp := peak(func(t float64) bool { return !inHead(t) })
		out = append(out, footagePose{Clip: c.File, Gesture: "none", PeakYaw: py, PeakPitch: pp, Note: "outside every head interval", NeutralYaw: ny, NeutralP: np})
	}
	return out, nil
}

func writeFootagePoses(w io.Writer, ps []footagePose) {
	fmt.Fprintln(w, "| clip | interval | annotated | peak yaw read ° | peak pitch read ° | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, p := range ps {
		iv := "—"
		if p.Gesture != "none" {
			iv = fmt.Sprintf("%.2f–%.2f s", p.From, p.To)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %+.1f | %+.1f | %s |\n", p.Clip, iv, p.Gesture, p.PeakYaw, p.PeakPitch, p.Note)
	}
}
