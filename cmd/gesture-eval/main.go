// Command gesture-eval plays a y4m clip at its frame times through the
// gesture Engine (YuNet + the 68-point model) and one Challenge, and prints
// one JSON object per line: every event, then a summary. With -truth (the
// clip.truth.json that facegen writes) the summary adds recall, false
// matches and the delay from the truth's threshold crossing to each MATCH.
//
//	go run ./cmd/gesture-eval -video clip.y4m -gestures HEAD_LEFT,HEAD_00 [-truth clip.truth.json]
//
// With -matrix it renders the evaluation matrix with facegen instead (every
// photo of testdata/faces, or -faces; ten capture conditions (three of
// them combined) × four scripts that ask every gesture (D at the smallest
// amplitudes, 20° turns and 15° tilts), plus flat-photo, still-photo and
// screen-replay attacks), plays each clip and prints one table per
// condition, per face and per gesture: asked, matched, recall, false
// matches, attack matches, median and 95th-percentile delay.
//
//	go run ./cmd/gesture-eval -matrix [-faces mazie,obama] [-conditions clean,dark] [-out DIR] [-j 2]
//
// -fps 7,10,15 renders every clip at each rate (a 7 frames/s webcam), and
// -speeds normal,fast,slow plays every script at each speed (see
// matrixSpeeds). The matrix plays the clips unpaced (every gesture asked
// at once, no reaction rule); -paced plays them as the production
// challenge meets a person who reacts, each gesture instructed -reaction
// (0.5 s) before its scripted start (see paced.go).
//
// With -footage it scores real clips against an annotation file of
// intervals per gesture (see footage.go):
//
//	go run ./cmd/gesture-eval -footage testdata/footage/annotations.json [-fps 7,10,15]
//
// With -calibrate it renders held head turns and tilts with facegen and
// tabulates the engine's reading against the truth (see calibrate.go):
//
//	go run ./cmd/gesture-eval -calibrate [-faces mazie] [-calib-conditions clean,dark+noise,far+blur] [-footage testdata/footage/annotations.json]
//
// (with -footage it also prints the peak yaw and pitch read in each
// annotated head gesture of the real clips, and outside them).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	facescore "github.com/livegate/livegate/internal/facegen/score"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/session"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gesture-eval:", err)
		os.Exit(1)
	}
}

// line is one event line of the output.
type line struct {
	TMS      int64                 `json:"t_ms"`
	Frame    int                   `json:"frame"`
	Event    gesture.EventType     `json:"event"`
	Index    int                   `json:"index"`
	Gesture  session.Gesture       `json:"gesture,omitempty"`
	Detected session.Gesture       `json:"detected,omitempty"`
	Hint     gesture.Hint          `json:"hint,omitempty"`
	Progress float64               `json:"progress"`
	Status   session.GestureStatus `json:"status,omitempty"`
	Reason   string                `json:"reason,omitempty"`
	Signals  gesture.Signals       `json:"signals"`
}

// traceLine is one frame's observation and the challenge's signals after
// it (-trace).
type traceLine struct {
	TMS     int64               `json:"t_ms"`
	Frame   int                 `json:"frame"`
	Trace   bool                `json:"trace"`
	Obs     gesture.Observation `json:"obs"`
	Signals gesture.Signals     `json:"signals"`
}

// summary is the last line.
type summary struct {
	Summary    bool                    `json:"summary"`
	Video      string                  `json:"video"`
	Frames     int                     `json:"frames"`
	Status     session.GestureStatus   `json:"gesture_status"`
	Detected   session.Gesture         `json:"detected_gesture,omitempty"`
	Gestures   []gesture.GestureResult `json:"gestures"`
	Baseline   gesture.Baseline        `json:"baseline"`
	MSPerFrame float64                 `json:"ms_per_frame"`
	Detections int                     `json:"detections"`
	Truth      *truthScore             `json:"truth,omitempty"`
}

// truthScore compares the run with the clip's truth.
type truthScore struct {
	Live    bool    `json:"live"`
	Attack  string  `json:"attack"`
	Asked   int     `json:"asked"`
	Matched int     `json:"matched"`
	Recall  float64 `json:"recall"`
	// FalseMatches counts MATCH events outside a scripted interval of the
	// matched gesture, or any match on an attack clip.
	FalseMatches int `json:"false_matches"`
	// DelaysMS are, per matched gesture, the time from the truth's
	// threshold crossing to MATCH; MedianDelayMS their median.
	DelaysMS      []float64 `json:"delays_ms"`
	MedianDelayMS float64   `json:"median_delay_ms"`
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gesture-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		video    = fs.String("video", "", "y4m clip (4:2:0)")
		gestures = fs.String("gestures", "", "comma-separated gesture codes to ask, in order (default: the truth's scripted gestures)")
		truthF   = fs.String("truth", "", "facegen truth JSON to score against")
		yunet    = fs.String("yunet", "models/yunet/face_detection_yunet_2022mar.onnx", "YuNet 2022mar model")
		lmPath   = fs.String("landmarks", landmarks.DefaultModelPath, "68-point shape predictor (dlib format)")
		timeout  = fs.Duration("timeout", 10*time.Second, "time allowed per gesture")
		quiet    = fs.Bool("quiet", false, "print the summary only")
		progress = fs.Bool("progress", false, "also print progress events")
		trace    = fs.Bool("trace", false, "also print every frame's observation")
		eyes     = fs.Bool("eyes", false, "with -video and -truth: tabulate how well each eye cue tells the truth's open frames from its shut ones (mean ± SD, d′); with -matrix: d′ per live clip whose eyes shut")
		matrix   = fs.Bool("matrix", false, "render the evaluation matrix with facegen (cached) and print one summary table")
		faces    = fs.String("faces", "", "-matrix: comma-separated photos, names in testdata/faces or paths (default: all of testdata/faces)")
		conds    = fs.String("conditions", strings.Join(defaultConditions(), ","), "-matrix: conditions to render")
		attacks  = fs.String("attacks", "flat,still,screen", "-matrix: attack kinds (empty for none)")
		out      = fs.String("out", "", "-matrix: clip cache directory (default: livegate-gesture-eval in the user cache dir; a fresh one renders every clip anew)")
		jobs     = fs.Int("j", 1, "-matrix: clips evaluated at once")
		clipsF   = fs.Bool("clips", false, "-matrix: also print one JSON line per clip")
		scriptsF = fs.String("scripts", "", "-matrix: comma-separated live scripts to play (A,B,C,D; default all)")
		footageF = fs.String("footage", "", "annotation file of real clips (testdata/footage/annotations.json): score every gesture in them, print one table")
		calib    = fs.Bool("calibrate", false, "render held head poses with facegen and tabulate the engine's yaw and pitch against the truth")
		calConds = fs.String("calib-conditions", calibDefaultConditions(), "-calibrate: conditions to render")
		fpsF     = fs.String("fps", "15", "-matrix and -footage: comma-separated frame rates to render or resample the clips at (7,10,15)")
		pacedF   = fs.Bool("paced", false, "-matrix: play every clip paced, as the production challenge meets a person who reacts: each gesture instructed -reaction before its scripted interval, with the wait, reaction and wrong-gesture rules")
		reaction = fs.Duration("reaction", defaultReaction, "-paced: time from each instruction to the scripted start of its gesture")
		gapF     = fs.Duration("gap", 0, "-matrix: least neutral time before each scripted motion, lengthening or inserting neutral steps (0: the scripts as written; e.g. 2.5s with -paced, as a paced challenge's wait gives a person)")
		speedsF  = fs.String("speeds", "normal", "-matrix: comma-separated gesture speeds: normal, fast (head turned in 0.27 s, steps halved), slow (0.9 s, steps doubled)")
		detEvery = fs.Duration("detect-every", 0, "re-check a tracked face with YuNet this often (default: the engine's, 300ms)")
		detWidth = fs.Int("detect-width", 0, "YuNet's input width (frames are downscaled to it; default: the detector's, 320)")
		sizeF    = fs.String("size", "", "analyse frames at WxH (e.g. 480x360): clips are downscaled by area averaging, real footage letterboxed to it (default: as rendered, 640×480)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	rates, err := parseRates(*fpsF)
	if err != nil {
		return err
	}
	size, err := parseSize(*sizeF)
	if err != nil {
		return err
	}
	analysisSize, detectEvery, detectWidth = size, *detEvery, *detWidth
	if *matrix {
		return runMatrix(matrixOpts{
			faces: *faces, conditions: *conds, attacks: *attacks, scripts: *scriptsF, dir: *out, jobs: *jobs,
			yunet: *yunet, landmarks: *lmPath, timeout: *timeout, clips: *clipsF,
			rates: rates, speeds: *speedsF, paced: *pacedF, reaction: *reaction, gap: *gapF, eyes: *eyes,
		}, stdout, stderr)
	}
	if *calib {
		return runCalibrate(calibOpts{faces: *faces, conditions: *calConds, footage: *footageF, dir: *out, yunet: *yunet, landmarks: *lmPath}, stdout)
	}
	if *footageF != "" {
		ev, err := newEvaluator(*yunet, *lmPath, nil)
		if err != nil {
			return err
		}
		defer ev.close()
		for i, fps := range rates {
			rs, err := scoreFootage(ev, *footageF, fps)
			if err != nil {
				return err
			}
			if len(rates) > 1 {
				if i > 0 {
					fmt.Fprintln(stdout)
				}
				fmt.Fprintf(stdout, "At %d frames/s:\n\n", fps)
			}
			writeFootage(stdout, rs)
		}
		return nil
	}
	if *video == "" {
		fs.Usage()
		return errors.New("need -video (or -matrix or -footage)")
	}
	var truth *facegen.Truth
	var ask []session.Gesture
	if *truthF != "" {
		if truth, err = readTruth(*truthF); err != nil {
			return err
		}
	}
	switch {
	case *eyes && truth == nil:
		return errors.New("-eyes needs -truth")
	case !*eyes:
		if ask, err = asked(*gestures, truth); err != nil {
			return err
		}
	}
	ev, err := newEvaluator(*yunet, *lmPath, nil)
	if err != nil {
		return err
	}
	defer ev.close()
	if *eyes {
		obs, err := ev.observe(*video)
		if err != nil {
			return err
		}
		writeEyeSeparations(stdout, eyeSeparations(obs, truth))
		return nil
	}
	cfg := gesture.ChallengeConfig{GestureTimeout: *timeout, Unpaced: true, MaxWrong: evalMaxWrong}
	enc := json.NewEncoder(stdout)
	p, err := ev.play(*video, ask, cfg, func(l line, o *gesture.Observation) error {
		if o != nil {
			if *trace {
				return enc.Encode(traceLine{TMS: l.TMS, Frame: l.Frame, Trace: true, Obs: *o, Signals: l.Signals})
			}
			return nil
		}
		if *quiet || (l.Event == gesture.EventProgress && !*progress) {
			return nil
		}
		return enc.Encode(l)
	})
	if err != nil {
		return err
	}
	s := p.summary(*video)
	if truth != nil {
		s.Truth = score(truth, ask, p.matches, cfg)
	}
	return enc.Encode(s)
}

// played is the outcome of one clip through the engine and a challenge.
type played struct {
	res        gesture.Result
	done       bool
	frames     int
	busy       time.Duration
	detections int
	matches    []line
}

func (p *played) summary(video string) summary {
	s := summary{
		Summary: true, Video: video, Frames: p.frames,
		Status: p.res.Status, Detected: p.res.Detected, Gestures: p.res.Gestures, Baseline: p.res.Baseline,
		Detections: p.detections,
	}
	if !p.done {
		s.Status = "" // the clip ended first
	}
	if p.frames > 0 {
		s.MSPerFrame = round(float64(p.busy.Microseconds()) / 1000 / float64(p.frames))
	}
	return s
}

// evaluator holds one detector and one landmark model; not safe for
// concurrent use (the matrix gives each worker its own).
type evaluator struct {
	det   *perception.Detector
	model *landmarks.Model
	ds    downscaler // to analysisSize
}

// analysisSize is -size: the frame size the engine analyses (zero: as the
// clips are); detectEvery is -detect-every and detectWidth -detect-width
// (zero: the defaults).
var (
	analysisSize image.Point
	detectEvery  time.Duration
	detectWidth  int
)

// engineOptions are the engine's options from the flags.
func engineOptions() []gesture.EngineOption {
	if detectEvery > 0 {
		return []gesture.EngineOption{gesture.WithDetectInterval(detectEvery)}
	}
	return nil
}

// newEvaluator loads YuNet and, unless model is given, the 68-point model.
func newEvaluator(yunet, lmPath string, model *landmarks.Model) (*evaluator, error) {
	if model == nil {
		var err error
		if model, err = landmarks.Load(lmPath); err != nil {
			return nil, err
		}
	}
	var opts []perception.Option
	if detectWidth > 0 {
		opts = append(opts, perception.WithMaxInputWidth(detectWidth))
	}
	det, err := perception.NewDetector(yunet, opts...)
	if err != nil {
		return nil, err
	}
	return &evaluator{det: det, model: model, ds: downscaler{size: analysisSize}}, nil
}

func (ev *evaluator) close() { ev.det.Close() }

// play runs the clip at video through a fresh engine and challenge. It
// calls emit with every event line (o nil) and, before them, with every
// frame's observation (l holding only the time and frame number).
// The evaluation measures gesture detection on recorded clips, which play
// at their own pace: the challenge is unpaced (no wait, no reaction rule,
// see gesture.ChallengeConfig.Unpaced) and keeps the wrong-gesture limit
// of before the pacing, so that its figures compare with the README's.
const evalMaxWrong = 3

func (ev *evaluator) play(video string, ask []session.Gesture, cfg gesture.ChallengeConfig, emit func(l line, o *gesture.Observation) error) (*played, error) {
	pred, err := gesture.NewModelPredictor(ev.model)
	if err != nil {
		return nil, err
	}
	engine := gesture.NewEngine(ev.det, pred, engineOptions()...)
	challenge := gesture.NewChallenge(ask, cfg)

	p := &played{}
	n, err := eachY4MFrame(video, func(n int, rel time.Duration, img *image.Gray) (bool, error) {
		if challenge.Done() {
			return false, nil
		}
		at := clipZero.Add(rel)
		t0 := time.Now()
		o := engine.Process(ev.ds.scale(img), at)
		evs := challenge.Observe(o)
		p.busy += time.Since(t0)
		if emit != nil {
			if err := emit(line{TMS: rel.Milliseconds(), Frame: n, Signals: roundSignals(challenge.Signals())}, &o); err != nil {
				return false, err
			}
		}
		for _, e := range evs {
			l := eventLine(e, n)
			if e.Type == gesture.EventMatch {
				p.matches = append(p.matches, l)
			}
			if emit != nil {
				if err := emit(l, nil); err != nil {
					return false, err
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	p.res = challenge.Result()
	p.done = challenge.Done()
	p.frames = n
	p.detections = engine.Detections()
	return p, nil
}

// clipZero is the time of a clip's first frame.
var clipZero = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// eventLine is the output line of event e at frame n.
func eventLine(e gesture.Event, n int) line {
	return line{
		TMS: e.T.Sub(clipZero).Milliseconds(), Frame: n, Event: e.Type, Index: e.Index,
		Gesture: e.Gesture, Detected: e.Detected, Hint: e.Hint, Progress: round(e.Progress),
		Status: e.Status, Reason: e.Reason, Signals: roundSignals(e.Signals),
	}
}

// observe runs the clip at video through a fresh engine and returns every
// frame's observation, or the engine's last detector error. The engine
// never hears from the challenge, so one reading of a clip serves every
// challenge played on it (replay) and the pose calibration.
func (ev *evaluator) observe(video string) ([]gesture.Observation, error) {
	pred, err := gesture.NewModelPredictor(ev.model)
	if err != nil {
		return nil, err
	}
	engine := gesture.NewEngine(ev.det, pred, engineOptions()...)
	var obs []gesture.Observation
	_, err = eachY4MFrame(video, func(_ int, rel time.Duration, img *image.Gray) (bool, error) {
		obs = append(obs, engine.Process(ev.ds.scale(img), clipZero.Add(rel)))
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return obs, engine.Err()
}

// replay plays a clip's observations through a fresh challenge, as play
// does the clip itself; before, if not nil, is told each frame's time
// before the challenge observes it.
func replay(obs []gesture.Observation, ask []session.Gesture, cfg gesture.ChallengeConfig, before func(time.Time)) *played {
	challenge := gesture.NewChallenge(ask, cfg)
	p := &played{}
	for n, o := range obs {
		if challenge.Done() {
			break
		}
		p.frames++
		if before != nil {
			before(o.T)
		}
		for _, e := range challenge.Observe(o) {
			if e.Type == gesture.EventMatch {
				p.matches = append(p.matches, eventLine(e, n))
			}
		}
	}
	p.res = challenge.Result()
	p.done = challenge.Done()
	return p
}

// eachY4MFrame calls fn with every frame of the y4m clip at video (its
// number, its time from the clip's start at the header's frame rate, 15
// frames/s when the header has none, and its grey plane, reused between
// calls) until fn returns false or an error, and returns how many frames
// fn took.
func eachY4MFrame(video string, fn func(n int, at time.Duration, img *image.Gray) (bool, error)) (int, error) {
	f, err := os.Open(video)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rd, err := facegen.NewY4MReader(f)
	if err != nil {
		return 0, err
	}
	h := rd.Header
	if h.FPSNum <= 0 || h.FPSDen <= 0 {
		h.FPSNum, h.FPSDen = 15, 1
	}
	var frame *facegen.YUVFrame
	img := &image.Gray{Rect: image.Rect(0, 0, h.Width, h.Height), Stride: h.Width}
	for n := 0; ; n++ {
		frame, err = rd.ReadFrame(frame)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("frame %d: %w", n, err)
		}
		img.Pix = frame.Y
		more, err := fn(n, time.Duration(int64(n)*int64(time.Second)*int64(h.FPSDen)/int64(h.FPSNum)), img)
		if err != nil {
			return n, err
		}
		if !more {
			return n, nil
		}
	}
}

// readTruth reads a facegen truth file.
func readTruth(path string) (*facegen.Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	truth := new(facegen.Truth)
	if err := json.Unmarshal(b, truth); err != nil {
		return nil, fmt.Errorf("truth %s: %w", path, err)
	}
	return truth, nil
}

// asked parses a comma-separated list of gesture codes, or takes the
// truth's scripted gestures when the list is empty.
func asked(list string, truth *facegen.Truth) ([]session.Gesture, error) {
	var ask []session.Gesture
	if list != "" {
		for _, s := range strings.Split(list, ",") {
			g, err := session.ParseGesture(strings.TrimSpace(s))
			if err != nil {
				return nil, err
			}
			ask = append(ask, g)
		}
	} else if truth != nil {
		for _, iv := range truth.Gestures {
			g, err := session.ParseGesture(iv.Code)
			if err != nil {
				return nil, err
			}
			ask = append(ask, g)
		}
	}
	if len(ask) == 0 {
		return nil, errors.New("need -gestures (or a -truth with scripted gestures)")
	}
	return ask, nil
}

// score compares the MATCH events with the truth.
func score(tr *facegen.Truth, ask []session.Gesture, matches []line, cfg gesture.ChallengeConfig) *truthScore {
	d := gesture.DefaultChallengeConfig()
	sc := &truthScore{Live: tr.Live, Attack: tr.Attack, Asked: len(ask), DelaysMS: []float64{}}
	used := make([]bool, len(tr.Gestures))
	for _, m := range matches {
		if !tr.Live {
			sc.FalseMatches++
			continue
		}
		// The scripted interval of this gesture that holds the match frame
		// (a MATCH may come just after the step ends, while returning).
		iv := -1
		for i, g := range tr.Gestures {
			if !used[i] && g.Code == string(m.Gesture) && m.Frame >= g.StartFrame && m.Frame <= g.EndFrame+tr.FPS/2 {
				iv = i
				break
			}
		}
		if iv < 0 {
			sc.FalseMatches++
			continue
		}
		used[iv] = true
		sc.Matched++
		if c, ok := facescore.Crossing(tr, tr.Gestures[iv], d); ok {
			ct := float64(tr.Frames[c].Time) * 1000
			sc.DelaysMS = append(sc.DelaysMS, round(float64(m.TMS)-ct))
		}
	}
	if sc.Asked > 0 && tr.Live {
		sc.Recall = round(float64(sc.Matched) / float64(sc.Asked))
	}
	if len(sc.DelaysMS) > 0 {
		ds := slices.Clone(sc.DelaysMS)
		slices.Sort(ds)
		sc.MedianDelayMS = ds[len(ds)/2]
		if len(ds)%2 == 0 {
			sc.MedianDelayMS = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
		}
	}
	return sc
}

func round(v float64) float64 { return math.Round(v*10000) / 10000 }

func roundSignals(s gesture.Signals) gesture.Signals {
	for _, p := range []*float64{&s.Yaw, &s.Pitch, &s.Roll, &s.DYaw, &s.DPitch, &s.EyeLeft, &s.EyeRight,
		&s.Mouth, &s.ClosedLeft, &s.ClosedRight, &s.Score, &s.HoldMS, &s.Planar, &s.PlanarFloor, &s.Parallax, &s.ParallaxFloor,
		&s.Quality.FaceWidth, &s.Quality.Brightness, &s.Quality.Sharpness, &s.Quality.LineRatio} {
		*p = round(*p)
	}
	return s
}
