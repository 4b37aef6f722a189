package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/session"
)

// The matrix's scripts. Together they ask every gesture: A a turn, both
// eyes and the mouth; B the other three head motions; C each eye alone,
// both, open again, and the mouth open and closed.
//
// Unperformed lists, per script, gestures the script never performs: each
// live clip is played again once per such gesture, asked alone, and any
// MATCH counts as an unperformed match (A closes both eyes, which must not
// pass for a wink; B turns right, which must not pass for left; C winks each
// eye, which must not pass for both eyes closed).
var matrixScripts = []struct{ Name, Script, Unperformed string }{
	{"A", "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s; HEAD_00 1.3s; neutral 0.8s; HEAD_OPEN_MOUTH 1s; neutral 0.5s", "HEAD_01,HEAD_RIGHT"},
	{"B", "neutral 1s; HEAD_RIGHT 30deg 1.5s; neutral 1s; HEAD_UP 20deg 1.5s; neutral 1s; HEAD_DOWN 20deg 1.5s; neutral 1s", "HEAD_LEFT,HEAD_00"},
	{"C", "neutral 1s; HEAD_01 1.3s; neutral 1s; HEAD_10 1.3s; neutral 1s; HEAD_00 1.3s; neutral 0.2s; HEAD_11 0.5s; HEAD_OPEN_MOUTH 1s; HEAD_CLOSE_MOUTH 1s", "HEAD_UP,HEAD_LEFT"},
	// D: the four head motions at the smallest amplitudes a user must be
	// able to pass with (README, "Pose calibration"): 20° turns, 15° tilts.
	{"D", "neutral 1s; HEAD_LEFT 20deg 1.5s; neutral 1s; HEAD_UP 15deg 1.5s; neutral 1s; HEAD_RIGHT 20deg 1.5s; neutral 1s; HEAD_DOWN 15deg 1.5s; neutral 1s", "HEAD_00,HEAD_OPEN_MOUTH"},
}

// attackScripts are the scripts played by each attack (a photo "does" the
// head motions and the eyes and mouth it cannot do).
var attackScripts = []string{"A", "B"}

// matrixConditions are the capture conditions, each a change to facegen's
// defaults (640×480, 15 frames/s, face 0.35 of the frame, normal light).
var matrixConditions = []struct {
	Name  string
	Apply func(*facegen.Params)
	// Extra conditions are rendered only when named (-conditions).
	Extra bool
}{
	{Name: "clean", Apply: func(*facegen.Params) {}},
	{Name: "noise", Apply: func(p *facegen.Params) { p.Noise = 8 }},
	{Name: "dark", Apply: func(p *facegen.Params) { p.Light = facegen.LightDark }},
	{Name: "far", Apply: func(p *facegen.Params) { p.Scale = 0.2 }},
	{Name: "near", Apply: func(p *facegen.Params) { p.Scale = 0.55 }},
	{Name: "blur", Apply: func(p *facegen.Params) { p.Blur = true }},
	{Name: "backlit", Apply: func(p *facegen.Params) { p.Light = facegen.LightBacklit }},
	// Combined conditions: a webcam in a dim room is also noisy, a far
	// face is also blurred, a backlit one noisy.
	{Name: "dark+noise", Apply: func(p *facegen.Params) { p.Light, p.Noise = facegen.LightDark, 8 }},
	{Name: "far+blur", Apply: func(p *facegen.Params) { p.Scale, p.Blur = 0.2, true }},
	{Name: "backlit+noise", Apply: func(p *facegen.Params) { p.Light, p.Noise = facegen.LightBacklit, 8 }},
	// Glasses (facegen draws frames and lenses over the eyes), rendered
	// when named: -conditions glasses,glasses+dark+noise.
	{Name: "glasses", Apply: func(p *facegen.Params) { p.Glasses = true }, Extra: true},
	{Name: "glasses+dark+noise", Apply: func(p *facegen.Params) { p.Glasses, p.Light, p.Noise = true, facegen.LightDark, 8 }, Extra: true},
}

// matrixSpeeds are the gesture speeds (-speeds): each a factor on the
// scripts' steps (all but the first, the baseline's neutral second, and the
// eye closures, which a user holds until the page's tone) and facegen's
// Tempo on the transitions. fast turns the head in 0.27 s (a real person
// turning on request: 30–60° in ≈0.25 s, issue 15) and holds half as long;
// slow takes 0.9 s and holds twice as long.
var matrixSpeeds = []matrixSpeed{
	{"normal", 1, 0},
	{"fast", 0.5, 0.6},
	{"slow", 2, 2},
}

// matrixSpeed is one gesture speed of the matrix.
type matrixSpeed struct {
	Name         string
	Steps, Tempo float64
}

// speedScript is script at speed: its steps but the first and the eye
// closures scaled by steps.
func speedScript(script string, steps float64) (string, error) {
	if steps == 1 {
		return script, nil
	}
	parts := strings.Split(script, ";")
	for i, st := range parts {
		if i == 0 || strings.Contains(st, string(session.HeadEyesClosed)) ||
			strings.Contains(st, string(session.HeadRightClose)) || strings.Contains(st, string(session.HeadLeftClose)) {
			continue
		}
		f := strings.Fields(st)
		if len(f) == 0 {
			continue
		}
		d, err := time.ParseDuration(f[len(f)-1])
		if err != nil {
			return "", fmt.Errorf("script step %q: %w", st, err)
		}
		f[len(f)-1] = strconv.FormatFloat((time.Duration(float64(d)*steps)).Seconds(), 'f', -1, 64) + "s"
		parts[i] = " " + strings.Join(f, " ")
	}
	return strings.Join(parts, ";"), nil
}

// gapScript gives every motion of script (a gesture other than the
// neutral states HEAD_11 and HEAD_CLOSE_MOUTH) at least gap of neutral face
// before it: a shorter neutral step is lengthened, and one is inserted where
// the motion follows another gesture at once. The scripts' own gaps
// (0.1–1 s, halved when fast) are shorter than a paced challenge needs to
// be ready and wait (a baseline, back at neutral, then the instruction): the
// server waits 2.5–4 s before each instruction, so a person who reacts always
// has seconds of neutral face before a motion. gap 0 leaves script as it is.
func gapScript(script string, gap time.Duration) (string, error) {
	if gap <= 0 {
		return script, nil
	}
	var out []string
	for _, st := range strings.Split(script, ";") {
		f := strings.Fields(st)
		if len(f) == 0 {
			continue
		}
		if f[0] != "neutral" && !neutralState(session.Gesture(f[0])) {
			if n := len(out); n > 0 && strings.HasPrefix(out[n-1], "neutral ") {
				d, err := time.ParseDuration(strings.TrimPrefix(out[n-1], "neutral "))
				if err != nil {
					return "", fmt.Errorf("script step %q: %w", out[n-1], err)
				}
				out[n-1] = "neutral " + max(d, gap).String()
			} else {
				out = append(out, "neutral "+gap.String())
			}
		}
		out = append(out, strings.Join(f, " "))
	}
	return strings.Join(out, "; "), nil
}

// parseRates parses -fps.
func parseRates(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 60 {
			return nil, fmt.Errorf("-fps: %q is no frame rate (1..60)", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// conditionIndex is the index in matrixConditions of the condition named
// name, or -1.
func conditionIndex(name string) int {
	for i, c := range matrixConditions {
		if c.Name == strings.TrimSpace(name) {
			return i
		}
	}
	return -1
}

func defaultConditions() []string {
	var n []string
	for _, c := range matrixConditions {
		if !c.Extra {
			n = append(n, c.Name)
		}
	}
	return n
}

type matrixOpts struct {
	faces, conditions, attacks string
	scripts                    string // live scripts to play (default all)
	dir                        string
	jobs                       int
	yunet, landmarks           string
	timeout                    time.Duration
	clips                      bool
	rates                      []int  // frame rates to render at (default 15)
	speeds                     string // gesture speeds (default normal)
	paced                      bool   // -paced (paced.go)
	reaction                   time.Duration
	gap                        time.Duration // -gap: least neutral time before each motion (0: as scripted)
	eyes                       bool          // -eyes: also tabulate the eye cues' separation per clip (eyes.go)
}

// matrixClip is one cell of the matrix and, once played, its score.
type matrixClip struct {
	Face      string            `json:"face"`
	Condition string            `json:"condition"` // a condition, or the attack kind
	Attack    bool              `json:"attack"`
	Script    string            `json:"script"`
	FPS       int               `json:"fps"`
	Speed     string            `json:"speed"`
	Params    facegen.Params    `json:"-"`
	Score     *truthScore       `json:"score"`
	Outcomes  map[string]string `json:"outcomes"`
	// Failures are why the asked gestures that did not match failed
	// (GestureResult.Failure: timeout, jump, planar, …) and Jumps the
	// jumps the motion filter reported in all.
	Failures map[string]string `json:"failures,omitempty"`
	Jumps    int               `json:"jumps"`
	// Unperformed are the gestures the script never performs, asked one at
	// a time; UnperformedMatches counts those that matched anyway.
	Unperformed        string `json:"unperformed,omitempty"`
	UnperformedMatches int    `json:"unperformed_matches"`
	Video              string `json:"video"`
	// Eyes is each eye cue's separation of the truth's open and shut
	// frames (-eyes, live clips).
	Eyes []eyeSeparation `json:"eyes,omitempty"`
}

// variant names the cell's frame rate and speed when they are not the
// defaults (15 frames/s, normal), with a leading space.
func (c *matrixClip) variant() string {
	v := ""
	if c.FPS != 0 && c.FPS != 15 {
		v += fmt.Sprintf(" %d fps", c.FPS)
	}
	if c.Speed != "" && c.Speed != "normal" {
		v += " " + c.Speed
	}
	return v
}

// faceName is a short name for a photo: mazie-hirono.jpg → mazie,
// portrait-obama-2012.jpg → obama.
func faceName(path string) string {
	b := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	parts := strings.Split(b, "-")
	if len(parts) > 1 && parts[0] == "portrait" {
		return parts[1]
	}
	return parts[0]
}

// matrixFaces resolves the -faces list: names in testdata/faces (with or
// without extension) or paths; all of testdata/faces when empty.
func matrixFaces(list string) ([]string, error) {
	root, err := facegen.ModuleRoot()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, "testdata", "faces")
	all, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return nil, err
	}
	var photos []string
	for _, p := range all {
		switch strings.ToLower(filepath.Ext(p)) {
		case ".jpg", ".jpeg", ".png":
			photos = append(photos, p)
		}
	}
	slices.Sort(photos)
	if list == "" {
		if len(photos) == 0 {
			return nil, fmt.Errorf("no photos in %s", dir)
		}
		return photos, nil
	}
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if _, err := os.Stat(f); err == nil {
			out = append(out, f)
			continue
		}
		found := ""
		for _, p := range photos {
			if filepath.Base(p) == f || faceName(p) == f || strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)) == f {
				found = p
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("face %q: not a file nor a photo in %s", f, dir)
		}
		out = append(out, found)
	}
	return out, nil
}

// matrixCells lists the clips of the matrix, live ones first.
func matrixCells(o matrixOpts) ([]*matrixClip, error) {
	faces, err := matrixFaces(o.faces)
	if err != nil {
		return nil, err
	}
	var conds []string
	if o.conditions != "" {
		conds = strings.Split(o.conditions, ",")
	}
	var attacks []string
	if o.attacks != "" {
		attacks = strings.Split(o.attacks, ",")
	}
	script := func(name string) string {
		for _, s := range matrixScripts {
			if s.Name == name {
				return s.Script
			}
		}
		return ""
	}
	rates := o.rates
	if len(rates) == 0 {
		rates = []int{15}
	}
	var speeds []int
	for _, sp := range strings.Split(cmp.Or(o.speeds, "normal"), ",") {
		i := slices.IndexFunc(matrixSpeeds, func(m matrixSpeed) bool { return m.Name == strings.TrimSpace(sp) })
		if i < 0 {
			return nil, fmt.Errorf("unknown speed %q (have normal, fast, slow)", sp)
		}
		speeds = append(speeds, i)
	}
	var cells []*matrixClip
	// add appends the cell of script at every rate and speed.
	add := func(c matrixClip, script string) error {
		for _, fps := range rates {
			for _, si := range speeds {
				sp := matrixSpeeds[si]
				sc, err := speedScript(script, sp.Steps)
				if err != nil {
					return err
				}
				if sc, err = gapScript(sc, o.gap); err != nil {
					return err
				}
				cell := c
				cell.FPS, cell.Speed = fps, sp.Name
				cell.Params.Script, cell.Params.FPS, cell.Params.Tempo = sc, fps, sp.Tempo
				cells = append(cells, &cell)
			}
		}
		return nil
	}
	for _, face := range faces {
		for _, cn := range conds {
			i := conditionIndex(cn)
			if i < 0 {
				return nil, fmt.Errorf("unknown condition %q (have %s)", cn, strings.Join(defaultConditions(), ", "))
			}
			for _, s := range matrixScripts {
				if o.scripts != "" && !slices.Contains(strings.Split(o.scripts, ","), s.Name) {
					continue
				}
				p := facegen.Params{Face: face, Seed: 1}
				matrixConditions[i].Apply(&p)
				if err := add(matrixClip{Face: faceName(face), Condition: matrixConditions[i].Name, Script: s.Name, Params: p, Unperformed: s.Unperformed}, s.Script); err != nil {
					return nil, err
				}
			}
		}
		for _, a := range attacks {
			a = strings.TrimSpace(a)
			switch a {
			case facegen.AttackFlat, facegen.AttackStill, facegen.AttackScreen, facegen.AttackLoop:
			default:
				return nil, fmt.Errorf("unknown attack %q", a)
			}
			for _, s := range attackScripts {
				p := facegen.Params{Face: face, Seed: 1, Attack: a}
				if err := add(matrixClip{Face: faceName(face), Condition: a, Attack: true, Script: s, Params: p}, script(s)); err != nil {
					return nil, err
				}
			}
		}
	}
	return cells, nil
}

// runMatrix renders (or finds in the cache) every clip of the matrix, plays
// each through the engine and prints the summary tables.
func runMatrix(o matrixOpts, stdout, stderr io.Writer) error {
	cells, err := matrixCells(o)
	if err != nil {
		return err
	}
	if len(cells) == 0 {
		return errors.New("-matrix: no clips (no conditions and no attacks)")
	}
	if o.dir == "" {
		if o.dir, err = defaultMatrixDir(); err != nil {
			return err
		}
	}
	model, err := landmarks.Load(o.landmarks)
	if err != nil {
		return err
	}
	// Every worker's renderer shares one photo landmarker, loaded only when
	// a photo's landmarks are not cached.
	photo := facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.Config{YuNet: o.yunet, Landmarks: o.landmarks}))
	jobs := max(1, o.jobs)
	start := time.Now()
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
		enc   = json.NewEncoder(stdout)
	)
	for w := 0; w < jobs; w++ {
		ev, err := newEvaluator(o.yunet, o.landmarks, model)
		if err != nil {
			return err
		}
		r := facegen.NewRenderer(photo)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ev.close()
			for {
				mu.Lock()
				if next >= len(cells) || first != nil {
					mu.Unlock()
					return
				}
				c := cells[next]
				next++
				mu.Unlock()
				err := playCell(r, ev, o, c)
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("%s %s %s: %w", c.Face, c.Condition, c.Script, err)
				}
				if err == nil && o.clips {
					if err := enc.Encode(c); err != nil && first == nil {
						first = fmt.Errorf("write clip line: %w", err)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	writeTables(stdout, cells)
	if o.eyes {
		fmt.Fprintln(stdout)
		writeEyeTable(stdout, cells)
	}
	mode := "unpaced"
	if o.paced {
		mode = fmt.Sprintf("paced, each gesture instructed %v before its scripted start", o.reaction)
	}
	fmt.Fprintf(stdout, "\n%d clips %s in %v (clips cached in %s)\n", len(cells), mode, time.Since(start).Round(time.Second), o.dir)
	return nil
}

func playCell(r *facegen.Renderer, ev *evaluator, o matrixOpts, c *matrixClip) error {
	cc, err := r.Cached(o.dir, c.Params)
	if err != nil {
		return err
	}
	tr, err := readTruth(cc.Truth)
	if err != nil {
		return err
	}
	ask, err := asked("", tr)
	if err != nil {
		return err
	}
	obs, err := ev.observe(cc.Video)
	if err != nil {
		return err
	}
	cfg := gesture.ChallengeConfig{GestureTimeout: o.timeout, Unpaced: true, MaxWrong: evalMaxWrong}
	var p *played
	if o.paced {
		// The asked gestures are the truth's intervals, in order (asked).
		p = replayPaced(obs, tr, ask, tr.Gestures, o)
	} else {
		p = replay(obs, ask, cfg, nil)
	}
	c.Video = cc.Video
	c.Score = score(tr, ask, p.matches, cfg)
	if o.eyes && tr.Live {
		c.Eyes = eyeSeparations(obs, tr)
	}
	if c.Unperformed != "" && tr.Live {
		un, err := asked(c.Unperformed, nil)
		if err != nil {
			return err
		}
		for _, g := range un {
			switch {
			case o.paced:
				if unperformedPaced(obs, tr, g, o) {
					c.UnperformedMatches++
				}
			default:
				c.UnperformedMatches += len(replay(obs, []session.Gesture{g}, cfg, nil).matches)
			}
		}
	}
	c.Outcomes = map[string]string{}
	for i, g := range p.res.Gestures {
		k := fmt.Sprintf("%d:%s", i, g.Gesture)
		c.Outcomes[k] = string(g.Status)
		c.Jumps += g.Jumps
		if g.Failure != "" {
			if c.Failures == nil {
				c.Failures = map[string]string{}
			}
			c.Failures[k] = g.Failure
		}
	}
	return nil
}

// defaultMatrixDir is where -matrix keeps its clips: a directory of its own
// beside facegen's cache. facegen caches each photo's landmarks by the
// photo's contents alone, so a cache filled by an older landmark model
// renders other clips; a directory that only the matrix fills is filled by
// one version of the code. Pass a fresh -out to render everything anew.
func defaultMatrixDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("-matrix: cache dir: %w", err)
	}
	return filepath.Join(d, "livegate-gesture-eval"), nil
}

// tally is one row of a table.
type tally struct {
	clips, asked, matched, falseM, attackClips, attackM int
	unasked, unmatched                                  int
	delays                                              []float64
}

func (t *tally) add(c *matrixClip) {
	t.clips++
	if c.Attack {
		t.attackClips++
		t.attackM += c.Score.FalseMatches
		return
	}
	t.asked += c.Score.Asked
	t.matched += c.Score.Matched
	t.falseM += c.Score.FalseMatches
	if c.Unperformed != "" {
		t.unasked += len(strings.Split(c.Unperformed, ","))
		t.unmatched += c.UnperformedMatches
	}
	t.delays = append(t.delays, c.Score.DelaysMS...)
}

func (t *tally) row(name string) string {
	rec, med, p95 := "-", "-", "-"
	if t.asked > 0 {
		rec = fmt.Sprintf("%.1f %%", 100*float64(t.matched)/float64(t.asked))
	}
	if len(t.delays) > 0 {
		d := slices.Clone(t.delays)
		slices.Sort(d)
		med = fmt.Sprintf("%.0f", percentile(d, 50))
		p95 = fmt.Sprintf("%.0f", percentile(d, 95))
	}
	att := "-"
	if t.attackClips > 0 {
		att = fmt.Sprintf("%d / %d clips", t.attackM, t.attackClips)
	}
	un := "-"
	if t.unasked > 0 {
		un = fmt.Sprintf("%d / %d", t.unmatched, t.unasked)
	}
	return fmt.Sprintf("%s\t%d\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t", name, t.clips-t.attackClips, t.asked, t.matched, rec, t.falseM, un, att, med, p95)
}

// percentile of sorted values, nearest rank (the median of an even count is
// the mean of the middle two).
func percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if p == 50 && n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	i := int(math.Ceil(p/100*float64(n))) - 1
	return sorted[min(max(i, 0), n-1)]
}

// writeTables prints the per-condition, per-face and per-gesture tables.
func writeTables(w io.Writer, cells []*matrixClip) {
	head := "\tlive clips\tasked\tmatched\trecall\tfalse matches\tunperformed matches\tattack matches\tmedian delay ms\tp95 delay ms\t"
	group := func(title string, key func(*matrixClip) string) {
		var order []string
		rows := map[string]*tally{}
		for _, c := range cells {
			k := key(c)
			if k == "" {
				continue
			}
			if rows[k] == nil {
				rows[k] = &tally{}
				order = append(order, k)
			}
			rows[k].add(c)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, title+head)
		for _, k := range order {
			fmt.Fprintln(tw, rows[k].row(k))
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	group("condition", func(c *matrixClip) string { return c.Condition + c.variant() })
	group("frame rate, speed", func(c *matrixClip) string {
		return fmt.Sprintf("%d fps %s", c.FPS, c.Speed)
	})
	group("live", func(c *matrixClip) string {
		switch {
		case c.Attack:
			return "attacks"
		case c.Condition == "clean":
			return "clean"
		}
		return "degraded"
	})
	group("face", func(c *matrixClip) string { return c.Face })
	// The acceptance is per face: clean and degraded apart.
	group("face, light", func(c *matrixClip) string {
		switch {
		case c.Attack:
			return ""
		case c.Condition == "clean":
			return c.Face + " clean"
		}
		return c.Face + " degraded"
	})

	// Per gesture, over live clips: asked and matched from the outcomes.
	type gt struct{ asked, matched int }
	var order []string
	rows := map[string]*gt{}
	for _, c := range cells {
		if c.Attack {
			continue
		}
		keys := make([]string, 0, len(c.Outcomes))
		for k := range c.Outcomes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			g := k[strings.IndexByte(k, ':')+1:]
			if rows[g] == nil {
				rows[g] = &gt{}
				order = append(order, g)
			}
			rows[g].asked++
			if c.Outcomes[k] == string(session.GestureMatch) {
				rows[g].matched++
			}
		}
	}
	slices.Sort(order)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "gesture\tasked\tmatched\trecall\t")
	for _, g := range order {
		r := rows[g]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f %%\t\n", g, r.asked, r.matched, 100*float64(r.matched)/float64(r.asked))
	}
	tw.Flush()
}
