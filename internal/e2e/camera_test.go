package e2e_test

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/browsertest"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception/footage"
)

// The reactive camera. Since the server decides when each instruction
// appears and judges the motion's onset against it (issue 16), a clip that
// loops in Chromium's fake camera is a replay and cannot pass. The
// reactive camera plays, as the fake device's file, one picture strip of
// every pose the tests need, rendered by facegen with one time base (the
// same sway in every pose); a script injected before the page's own wraps
// getUserMedia to hand the page a 640×480 canvas stream that shows one
// pose at a time, and watches the data channel: on an instruction it waits
// a reaction delay, then turns the head through the poses (neutral → 10°
// → 20° → 30°, held, back), as a person does when asked. The strip loops
// every 20 frames; the script drifts the picture slowly and aperiodically
// (a few pixels, a few per cent of brightness), since a picture that
// repeats itself is what the server's loop detector rightly calls
// injection, and reactive sessions are checked to show no loop
// (noLoopSeen).
//
// The strip: the whole neutral frame first, then, for every other pose,
// only the band of columns the head moves in (the background is the same
// in every pose, which writeStrip checks pixel by pixel): 4952×480, 20
// frames, 71.3 MB, where 12 whole 640×480 poses would take 111 MB.

const (
	panelW, panelH = 640, 480
	// bandX and bandW: the columns of a pose frame that differ from the
	// neutral frame's (the head and its hair at every pose and sway).
	bandX, bandW = 120, 392
	cameraFPS    = 15
	// settleFrames are skipped at the start of each pose's clip, while
	// facegen eases from neutral into the pose (0.45 s); loopFrames follow
	// and loop in the fake camera.
	settleFrames = 9
	loopFrames   = 20
)

// cameraPose is one pose of the strip, in the script's order.
type cameraPose struct {
	name   string // what camera.js calls it
	action string // facegen's script action
}

var cameraPoses = []cameraPose{
	{"neutral", "neutral"},
	{"left10", "HEAD_LEFT 10deg"}, {"left20", "HEAD_LEFT 20deg"}, {"left30", "HEAD_LEFT 30deg"},
	{"right10", "HEAD_RIGHT 10deg"}, {"right20", "HEAD_RIGHT 20deg"}, {"right30", "HEAD_RIGHT 30deg"},
	{"up10", "HEAD_UP 10deg"}, {"up20", "HEAD_UP 20deg"},
	{"down10", "HEAD_DOWN 10deg"}, {"down20", "HEAD_DOWN 20deg"},
	{"eyes", "HEAD_00"},
}

//go:embed testdata/camera.js
var cameraJS string

// reaction is how the reactive camera answers instructions.
type reaction struct {
	// Delay from the instruction's arrival to the start of the motion.
	Delay time.Duration
	// Wrong, when set, turns the other way (or tilts the other way)
	// instead of doing the asked gesture, again every 2 s until the try
	// ends.
	Wrong bool
	// Partial, when set, starts the asked gesture in time and stops at its
	// first step (10°), short of the engine's threshold, until the try
	// ends: the instruction stays up as long as the server allows a try
	// that started in time, instead of ending "late" after the reaction
	// window as a neutral face does.
	Partial bool
}

var (
	stripOnce sync.Once
	stripPath string
	stripErr  error
)

// cameraStrip renders (once per process, cached on disk across runs) the
// reactive camera's y4m strip and returns its path.
func cameraStrip(t *testing.T) string {
	t.Helper()
	stripOnce.Do(func() { stripPath, stripErr = renderStrip(t) })
	if stripErr != nil {
		t.Fatal(stripErr)
	}
	return stripPath
}

func renderStrip(t *testing.T) (string, error) {
	face, err := facegen.TestFace("")
	if err != nil {
		return "", err
	}
	settle := float64(settleFrames+loopFrames) / cameraFPS
	var clips []string
	h := sha256.New()
	fmt.Fprintf(h, "strip/1 %d %d %d %d %d\n", bandX, bandW, settleFrames, loopFrames, cameraFPS)
	for _, p := range cameraPoses {
		// The same seed for every pose: the same sway, frame by frame.
		c := footage.Render(t, "", facegen.Params{Face: face, Script: fmt.Sprintf("%s %.3fs", p.action, settle),
			Width: panelW, Height: panelH, FPS: cameraFPS, Seed: 3, NoBlinks: true})
		clips = append(clips, c.Video)
		fmt.Fprintln(h, filepath.Base(c.Video)) // the name is a hash of the clip's parameters and photo
	}
	dir, err := facegen.DefaultCacheDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "strip-"+hex.EncodeToString(h.Sum(nil))[:24]+".y4m")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	tmp, err := os.CreateTemp(dir, ".tmp-strip-*.y4m")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := writeStrip(tmp, clips); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return out, os.Rename(tmp.Name(), out)
}

// writeStrip writes the strip from the poses' clips: frame i of the strip
// is the neutral clip's frame settleFrames+i, then each other pose's band.
// It fails when a pose changes a pixel outside its band, which would show
// as a seam in the camera's picture.
func writeStrip(w io.Writer, clips []string) error {
	width := panelW + (len(clips)-1)*bandW
	yw, err := facegen.NewY4MWriter(w, width, panelH, cameraFPS)
	if err != nil {
		return err
	}
	var readers []*facegen.Y4MReader
	for _, path := range clips {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r, err := facegen.NewY4MReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		readers = append(readers, r)
	}
	frames := make([]*facegen.YUVFrame, len(clips))
	out := facegen.NewYUVFrame(width, panelH)
	for i := 0; i < settleFrames+loopFrames; i++ {
		for k, r := range readers {
			if frames[k], err = r.ReadFrame(frames[k]); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("%s frame %d: %w", clips[k], i, err)
			}
		}
		if i < settleFrames {
			continue
		}
		for k, f := range frames {
			if k > 0 {
				if err := outsideBand(f, frames[0]); err != nil {
					return fmt.Errorf("strip: pose %s, frame %d: %w", cameraPoses[k].name, i, err)
				}
			}
			copyPlanes(out, f, k)
		}
		if err := yw.WriteFrame(out); err != nil {
			return err
		}
	}
	return yw.Flush()
}

// copyPlanes puts pose k's frame f into the strip frame out: the whole
// frame for the neutral pose (k = 0), else its band.
func copyPlanes(out, f *facegen.YUVFrame, k int) {
	x0, dst, w := 0, 0, panelW
	if k > 0 {
		x0, dst, w = bandX, panelW+(k-1)*bandW, bandW
	}
	for y := 0; y < panelH; y++ {
		copy(out.Y[y*out.W+dst:y*out.W+dst+w], f.Y[y*f.W+x0:y*f.W+x0+w])
	}
	for y := 0; y < panelH/2; y++ {
		for _, p := range [][2][]byte{{out.U, f.U}, {out.V, f.V}} {
			copy(p[0][y*out.W/2+dst/2:y*out.W/2+(dst+w)/2], p[1][y*f.W/2+x0/2:y*f.W/2+(x0+w)/2])
		}
	}
}

// outsideBand reports the first luma pixel outside the band where the
// pose's frame differs from the neutral frame by more than 2 levels.
func outsideBand(f, neutral *facegen.YUVFrame) error {
	for y := 0; y < panelH; y++ {
		for x := 0; x < panelW; x++ {
			if x >= bandX && x < bandX+bandW {
				continue
			}
			if d := int(f.Y[y*f.W+x]) - int(neutral.Y[y*f.W+x]); d > 2 || d < -2 {
				return fmt.Errorf("pixel (%d,%d) differs from the neutral pose's by %d: widen the band", x, y, d)
			}
		}
	}
	return nil
}

// cameraConfig is what camera.js reads: the strip's layout and the
// reaction. JSON names match the script's.
type cameraConfig struct {
	Width   int      `json:"width"`
	Height  int      `json:"height"`
	PanelW  int      `json:"panelW"`
	PanelH  int      `json:"panelH"`
	BandX   int      `json:"bandX"`
	BandW   int      `json:"bandW"`
	Poses   []string `json:"poses"`
	DelayMs int64    `json:"delayMs"`
	Wrong   bool     `json:"wrong"`
	Partial bool     `json:"partial"`
}

// openReactiveBrowser starts Chromium with the strip as its fake camera
// and the reactive camera script in every document.
func openReactiveBrowser(t *testing.T, r reaction) *browsertest.Browser {
	t.Helper()
	strip := cameraStrip(t)
	b := openBrowser(t, clipCamera, strip)
	names := make([]string, len(cameraPoses))
	for i, p := range cameraPoses {
		names[i] = p.name
	}
	conf, err := json.Marshal(cameraConfig{
		Width: panelW + (len(cameraPoses)-1)*bandW, Height: panelH, PanelW: panelW, PanelH: panelH,
		BandX: bandX, BandW: bandW, Poses: names, DelayMs: r.Delay.Milliseconds(), Wrong: r.Wrong, Partial: r.Partial,
	})
	if err != nil {
		t.Fatal(err)
	}
	beforeEachDocument(t, b, "window.__livegateCameraConfig = "+string(conf)+";\n"+cameraJS)
	return b
}

// cameraEvent is one entry of the reactive camera's log: an instruction
// seen (what = "instruction", gesture) or a pose shown (what = "pose").
type cameraEvent struct {
	T       float64 `json:"t"` // ms, performance.now()
	What    string  `json:"what"`
	Gesture string  `json:"gesture,omitempty"`
	Pose    string  `json:"pose,omitempty"`
	Reason  string  `json:"reason,omitempty"` // of an attempt_failed
}

// cameraLog returns the reactive camera's log so far.
func cameraLog(t *testing.T, b *browsertest.Browser) []cameraEvent {
	t.Helper()
	v, err := chromedp.Run(b.Context(), chromedp.Evaluate[[]cameraEvent](`(window.__livegateCamera || {log: []}).log`))
	if err != nil {
		t.Fatalf("camera log: %v", err)
	}
	return v
}

// checkReacted checks in the reactive camera's log that the head stayed
// neutral until each of the instructions, in order, and that each motion
// started a reaction delay after its instruction: the session passed
// because the camera answered, not because a clip happened to match.
func checkReacted(t *testing.T, log []cameraEvent, gestures ...string) {
	t.Helper()
	next := 0
	var asked cameraEvent
	for _, e := range log {
		switch e.What {
		case "instruction": // a try again asks the gestures anew
			asked = e
			if next < len(gestures) && e.Gesture == gestures[next] {
				next++
			}
		case "perform":
			if asked.What == "" {
				t.Errorf("camera moved (%s) at %.0f ms before any instruction; log %v", e.Gesture, e.T, log)
				continue
			}
			if d := e.T - asked.T; e.Gesture != asked.Gesture || d < float64(reactionDelay.Milliseconds())-20 {
				t.Errorf("camera did %s %.0f ms after the instruction for %s; want %s after %v; log %v",
					e.Gesture, d, asked.Gesture, asked.Gesture, reactionDelay, log)
			}
		}
	}
	if next != len(gestures) {
		t.Errorf("the camera saw %d of the instructions %v; log %v", next, gestures, log)
	}
}

// TestReactiveCameraStrip checks the strip the reactive camera plays: its
// size, its length, and (while it is written) that no pose changes a pixel
// outside its band.
func TestReactiveCameraStrip(t *testing.T) {
	path := cameraStrip(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := facegen.NewY4MReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := r.Header.Width, r.Header.Height; w != panelW+(len(cameraPoses)-1)*bandW || h != panelH {
		t.Errorf("strip is %d×%d; want %d×%d", w, h, panelW+(len(cameraPoses)-1)*bandW, panelH)
	}
	n := 0
	var fr *facegen.YUVFrame
	for ; ; n++ {
		if fr, err = r.ReadFrame(fr); err != nil {
			break
		}
	}
	if !errors.Is(err, io.EOF) || n != loopFrames {
		t.Errorf("strip has %d frames (%v); want %d", n, err, loopFrames)
	}
	st, _ := f.Stat()
	t.Logf("strip %s: %d×%d, %d frames, %.1f MB", filepath.Base(path), r.Header.Width, r.Header.Height, n, float64(st.Size())/1e6)
}
