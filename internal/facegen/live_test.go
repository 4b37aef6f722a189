package facegen

import (
	"math"
	"strings"
	"syscall"
	"testing"
	"time"
)

// liveScript is the motion both paths of the live tests render: a turn, a
// held tilt with the eyes closing, an opening mouth.
const liveScript = "neutral 0.2s; HEAD_LEFT 0.4s; HEAD_UP 10deg + HEAD_00 0.3s; HEAD_OPEN_MOUTH 0.3s"

// A live frame is the clip's frame: given the state the script asks for at
// a frame's time, Live adds the same sway, lighting and noise as the clip,
// so the frames are the same.
func TestLiveFrameIsTheClipFrame(t *testing.T) {
	r := testRender(t)
	// One clip with every effect a live frame has (kept short: the suite
	// runs under -race).
	for _, p := range []Params{
		{Face: facePath(t, "victor-glover-2020.jpg"), Script: liveScript, Seed: 9, Noise: 2, Light: LightBacklit, Glasses: true, NoBlinks: true},
	} {
		clip, err := r.Render(p)
		if err != nil {
			t.Fatal(err)
		}
		live, err := r.NewLive(p)
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := ParseScript(p.Script)
		tl := newTimeline(sc, 15, p.Seed, true, false)
		for i, want := range clip.Frames {
			at := time.Duration(i) * time.Second / 15
			got := live.Frame(at, tl.scripted(at.Seconds()))
			// A frame's time as a Duration is a nanosecond off the clip's
			// i/15 s, which may move a rounding: at most one level, rarely.
			for _, pl := range [][2][]byte{{got.Y, want.Y}, {got.U, want.U}, {got.V, want.V}} {
				if n, worst := diff(pl[0], pl[1]); worst > 1 || n > len(pl[0])/1000 {
					t.Fatalf("%s frame %d: %d bytes differ from the clip's, by up to %d", p.Face, i, n, worst)
				}
			}
		}
	}
}

func diff(a, b []byte) (n, worst int) {
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d != 0 {
			n++
			worst = max(worst, d, -d)
		}
	}
	return n, worst
}

// Natural blinks happen live as in a clip: within 20 s the eyes close
// fully a few times, and never with NoBlinks.
func TestLiveBlinks(t *testing.T) {
	r := testRender(t)
	for _, noBlinks := range []bool{false, true} {
		live, err := r.NewLive(Params{Face: facePath(t, defaultFace), Seed: 3, NoBlinks: noBlinks})
		if err != nil {
			t.Fatal(err)
		}
		blinks, closed := 0, false
		for ms := 0; ms < 20000; ms += 10 {
			st := live.Micro(time.Duration(ms)*time.Millisecond, Neutral)
			if st.LeftEye < 0.05 && !closed {
				blinks++
			}
			closed = st.LeftEye < 0.05
			if math.Abs(st.Yaw) > 3 || math.Abs(st.Pitch) > 3 {
				t.Fatalf("sway at %d ms: yaw %.1f pitch %.1f; want a few degrees at most", ms, st.Yaw, st.Pitch)
			}
		}
		if noBlinks && blinks != 0 || !noBlinks && (blinks < 3 || blinks > 10) {
			t.Errorf("NoBlinks %v: %d blinks in 20 s", noBlinks, blinks)
		}
	}
}

func TestLiveRefusesWhatItCannotDraw(t *testing.T) {
	r := testRender(t)
	for _, p := range []Params{
		{Face: facePath(t, defaultFace), Attack: AttackFlat},
		{Face: facePath(t, defaultFace), Blur: true},
		{Face: facePath(t, defaultFace), Width: 63},
		{Face: "/nonexistent.jpg"},
	} {
		if _, err := r.NewLive(p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

// BenchmarkLiveFrame renders 640×480 frames on demand (what the reactive
// client pays per frame); BenchmarkClipFrame renders the same frames
// through the clip path (Render), face preparation included, per frame.
// Their ratio is the live path's cost against the clips'.
func BenchmarkLiveFrame(b *testing.B) {
	r := testRender(b)
	p := Params{Face: facePath(b, defaultFace), Script: liveScript, Seed: 5, Noise: 2}
	live, err := r.NewLive(p)
	if err != nil {
		b.Fatal(err)
	}
	sc, _ := ParseScript(p.Script)
	tl := newTimeline(sc, 15, p.Seed, true, false)
	n := tl.frames
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := time.Duration(i%n) * time.Second / 15
		live.Frame(at, tl.scripted(at.Seconds()))
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/frame")
}

func BenchmarkClipFrame(b *testing.B) {
	r := testRender(b)
	p := Params{Face: facePath(b, defaultFace), Script: liveScript, Seed: 5, Noise: 2}
	frames := 0
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := r.Render(p)
		if err != nil {
			b.Fatal(err)
		}
		frames += len(c.Frames)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(frames), "ms/frame")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(frames), "cpu-ms/frame")
}

// cpuTime is the process's CPU time: on a shared machine the wall time of a
// benchmark says more about the neighbours than about the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestReplayScript(t *testing.T) {
	sc, err := ReplayScript(ReplayGestures, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := "neutral 2000ms; HEAD_LEFT 1000ms; neutral 800ms; HEAD_RIGHT 1000ms; neutral 800ms; HEAD_UP 1000ms; neutral 800ms; HEAD_DOWN 1000ms; neutral 800ms; HEAD_00 1000ms; neutral 800ms; HEAD_OPEN_MOUTH 1000ms; neutral 1000ms"
	if sc != want {
		t.Errorf("script\n%s\nwant\n%s", sc, want)
	}
	slow, _ := ReplayScript(ReplayGestures, 1.25)
	ps, _ := ParseScript(sc)
	pslow, _ := ParseScript(slow)
	if got := pslow.Duration().Seconds() / ps.Duration().Seconds(); math.Abs(got-1.25) > 1e-6 {
		t.Errorf("slowed by 25%%: length ratio %.3f", got)
	}
	sh := ShuffledReplayGestures(7)
	if strings.Join(sh, ",") == strings.Join(ReplayGestures, ",") || len(sh) != len(ReplayGestures) {
		t.Errorf("shuffled %v", sh)
	}
	seen := map[string]bool{}
	for _, g := range sh {
		seen[g] = true
	}
	for _, g := range ReplayGestures {
		if !seen[g] {
			t.Errorf("shuffled %v lacks %s", sh, g)
		}
	}
	for _, bad := range []struct {
		order   []string
		stretch float64
	}{{nil, 1}, {ReplayGestures, 0.1}, {[]string{"HEAD_SIDEWAYS"}, 1}} {
		if _, err := ReplayScript(bad.order, bad.stretch); err == nil {
			t.Errorf("ReplayScript(%v, %g): no error", bad.order, bad.stretch)
		}
	}
}
