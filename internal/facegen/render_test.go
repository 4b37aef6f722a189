package facegen

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/session"
)

// The default face of the tests and of the committed contact sheet.
const defaultFace = "mazie-hirono.jpg"

var (
	testOnce     sync.Once
	testRenderer *Renderer
	testModels   *perception.PhotoLandmarker
	testLM       *landmarks.Model
	testErr      error
)

// renderer returns a Renderer with the engine's real models; a missing model
// fails the test (never skips).
func testRender(t testing.TB) *Renderer {
	t.Helper()
	testOnce.Do(func() {
		// The engine's models through perception: the facegen package itself
		// stays free of OpenCV, its tests measure with the real detector.
		cfg := perception.FootageConfig()
		if testModels, testErr = perception.NewPhotoLandmarker(cfg); testErr != nil {
			return
		}
		if cfg.Landmarks == "" {
			cfg.Landmarks = landmarks.DefaultModelPath
		}
		if testLM, testErr = landmarks.Load(cfg.Landmarks); testErr != nil {
			return
		}
		testRenderer = NewRenderer(EngineLandmarks(testModels.Landmarks))
	})
	if testErr != nil {
		t.Fatalf("models: %v", testErr)
	}
	return testRenderer
}

func facePath(t testing.TB, name string) string {
	t.Helper()
	p, err := TestFace(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func grayOf(f *YUVFrame) *image.Gray { return f.Gray() }

func newDetector(t testing.TB) *perception.Detector {
	t.Helper()
	yunet, err := perception.FindYuNet(perception.FootageConfig().YuNet)
	if err != nil {
		t.Fatalf("detector: %v", err)
	}
	d, err := perception.NewDetector(yunet)
	if err != nil {
		t.Fatalf("detector: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// measure finds the face of a frame with the engine's models and returns
// simple measurements: nose offset from the eyes' centre (x, y, in eye
// distances), each eye's openness ratio and the inner-lip gap ratio.
type measures struct {
	noseX, noseY, rightEAR, leftEAR, mouth float64
}

func measure(t testing.TB, det *perception.Detector, f *YUVFrame) (measures, bool) {
	t.Helper()
	g := grayOf(f)
	faces, err := det.Detect(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) == 0 {
		return measures{}, false
	}
	testRender(t)
	pts := make([]landmarks.Point, 68)
	testLM.Predict(g, landmarks.BoxFromDetection(faces[0].Box, faces[0].Keypoints), pts)
	P := func(i int) Pt { return Pt{float64(pts[i].X), float64(pts[i].Y)} }
	eyes := mid(P(36), P(45))
	ed := dist(P(36), P(45))
	ear := func(a, b, c, d, e, f int) float64 {
		return (dist(P(b), P(f)) + dist(P(c), P(e))) / (2 * dist(P(a), P(d)))
	}
	return measures{
		noseX:    (P(30).X - eyes.X) / ed,
		noseY:    (P(30).Y - eyes.Y) / ed,
		rightEAR: ear(36, 37, 38, 39, 40, 41),
		leftEAR:  ear(42, 43, 44, 45, 46, 47),
		mouth:    dist(P(62), P(66)) / dist(P(48), P(54)),
	}, true
}

// Every gesture renders a clip in which YuNet finds the face in every frame,
// the engine's landmarks see the gesture the truth claims, and the mesh has
// no holes.
func TestGesturesRenderAndAreSeen(t *testing.T) {
	r := testRender(t)
	det := newDetector(t)
	face := facePath(t, defaultFace)
	for _, g := range session.Gestures {
		t.Run(string(g), func(t *testing.T) {
			clip, err := r.Render(Params{Face: face, Script: fmt.Sprintf("neutral 0.4s; %s 0.8s; neutral 0.2s", g), Seed: 7, NoBlinks: true, NoSway: true})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(clip.Frames), 21; got != want {
				t.Fatalf("frames: got %d; want %d", got, want)
			}
			var base measures
			for i, f := range clip.Frames {
				faces, err := det.Detect(grayOf(f))
				if err != nil {
					t.Fatal(err)
				}
				if len(faces) != 1 {
					t.Fatalf("frame %d: YuNet found %d faces; want 1", i, len(faces))
				}
				tb := clip.Truth.Frames[i].Box
				if iou := overlap(faces[0].Box, image.Rect(tb.X, tb.Y, tb.X+tb.W, tb.Y+tb.H)); iou < 0.4 {
					t.Errorf("frame %d: detected box %v and truth box %v overlap only %.2f", i, faces[0].Box, tb, iou)
				}
			}
			iv := clip.Truth.Gestures[0]
			if iv.Code != string(g) || iv.StartFrame != 6 || iv.EndFrame != 17 {
				t.Errorf("interval: got %+v; want %s frames 6..17", iv, g)
			}
			base, ok := measure(t, det, clip.Frames[2])
			if !ok {
				t.Fatal("no face in neutral frame")
			}
			full := (iv.FullFrame + iv.EndFrame) / 2
			m, ok := measure(t, det, clip.Frames[full])
			if !ok {
				t.Fatal("no face at full gesture")
			}
			ft := clip.Truth.Frames[full]
			t.Logf("neutral %+v", base)
			t.Logf("%s (frame %d: yaw %.1f pitch %.1f eyes L%.2f R%.2f mouth %.2f) %+v", g, full, ft.Yaw, ft.Pitch, ft.LeftEye, ft.RightEye, ft.Mouth, m)
			check := func(ok bool, what string) {
				if !ok {
					t.Errorf("%s: the engine's landmarks do not show it: neutral %+v, gesture %+v", what, base, m)
				}
			}
			switch g {
			case session.HeadLeft: // the user's left: nose toward the image's right
				check(ft.Yaw > 25 && m.noseX > base.noseX+0.12, "HEAD_LEFT moves the nose right")
			case session.HeadRight:
				check(ft.Yaw < -25 && m.noseX < base.noseX-0.12, "HEAD_RIGHT moves the nose left")
			case session.HeadUp:
				check(ft.Pitch > 15 && m.noseY < base.noseY-0.05, "HEAD_UP moves the nose up")
			case session.HeadDown:
				check(ft.Pitch < -15 && m.noseY > base.noseY+0.05, "HEAD_DOWN moves the nose down")
			case session.HeadEyesClosed:
				check(ft.LeftEye < 0.05 && ft.RightEye < 0.05 && m.leftEAR < 0.7*base.leftEAR && m.rightEAR < 0.7*base.rightEAR, "HEAD_00 closes both eyes")
			case session.HeadRightClose, session.HeadLeftClose:
				// dlib's model barely tells one closed eye from two, so
				// look at the pixels: the closed eye's region changes, the
				// open one's stays as it was.
				lm := clip.Truth.Frames[2].Landmarks
				dr, dl := eyeChange(clip.Frames[2], clip.Frames[full], lm, 36), eyeChange(clip.Frames[2], clip.Frames[full], lm, 42)
				t.Logf("eye change: right %.1f, left %.1f", dr, dl)
				if g == session.HeadRightClose { // the user's right eye: image left, 36–41
					check(ft.RightEye < 0.05 && ft.LeftEye > 0.95 && dr > 3*dl, "HEAD_01 closes the right eye only")
				} else {
					check(ft.LeftEye < 0.05 && ft.RightEye > 0.95 && dl > 3*dr, "HEAD_10 closes the left eye only")
				}
			case session.HeadOpenMouth:
				check(ft.Mouth > 0.95 && m.mouth > base.mouth+0.15, "HEAD_OPEN_MOUTH opens the mouth")
			}
		})
	}
}

// eyeChange is the mean absolute luma difference between two frames inside
// the eye whose landmarks start at first (36: the user's right eye, 42: the
// left).
func eyeChange(f0, f1 *YUVFrame, lm [][2]R1, first int) float64 {
	var poly []Pt
	for k := first; k < first+6; k++ {
		poly = append(poly, Pt{float64(lm[k][0]), float64(lm[k][1])})
	}
	var n, sum float64
	fillPolygon(poly, f0.W, f0.H, func(x, y int) {
		n++
		sum += math.Abs(float64(f0.Y[y*f0.W+x]) - float64(f1.Y[y*f1.W+x]))
	})
	if n == 0 {
		return 0
	}
	return sum / n
}

// The truth's yaw sign: HEAD_LEFT is the user's own left, so in the camera
// image (not mirrored) the nose moves toward larger x, and the truth's yaw is
// positive. YuNet's own nose keypoint confirms where the nose went.
func TestYawSignConvention(t *testing.T) {
	r := testRender(t)
	det := newDetector(t)
	for _, tt := range []struct {
		code string
		sign float64
	}{{"HEAD_LEFT", 1}, {"HEAD_RIGHT", -1}} {
		clip, err := r.Render(Params{Face: facePath(t, defaultFace), Script: "neutral 0.4s; " + tt.code + " 25deg 1s", NoSway: true, NoBlinks: true})
		if err != nil {
			t.Fatal(err)
		}
		first, last := clip.Truth.Frames[0], clip.Truth.Frames[len(clip.Frames)-1]
		if float64(last.Yaw)*tt.sign < 24 {
			t.Errorf("%s: truth yaw %v; want %+.0f", tt.code, last.Yaw, 25*tt.sign)
		}
		nose := func(ft FrameTruth) float64 {
			return float64(ft.Landmarks[30][0]) - float64(ft.Landmarks[27][0])
		}
		if d := nose(last) - nose(first); d*tt.sign < 5 {
			t.Errorf("%s: truth nose tip moved %.1f px against the nose bridge; want %s", tt.code, d, map[float64]string{1: "right (+x)", -1: "left (-x)"}[tt.sign])
		}
		f0, err := det.Detect(grayOf(clip.Frames[0]))
		if err != nil || len(f0) != 1 {
			t.Fatalf("%s: detect first frame: %v %d", tt.code, err, len(f0))
		}
		f1, err := det.Detect(grayOf(clip.Frames[len(clip.Frames)-1]))
		if err != nil || len(f1) != 1 {
			t.Fatalf("%s: detect last frame: %v %d", tt.code, err, len(f1))
		}
		rel := func(f gesture.Face) float64 {
			eyes := (f.Keypoints[gesture.RightEye].X + f.Keypoints[gesture.LeftEye].X) / 2
			return float64(f.Keypoints[gesture.NoseTip].X - eyes)
		}
		if d := rel(f1[0]) - rel(f0[0]); d*tt.sign < 3 {
			t.Errorf("%s: YuNet's nose keypoint moved %.0f px against the eyes; want the %s", tt.code, d, map[float64]string{1: "image's right", -1: "image's left"}[tt.sign])
		}
	}
}

// A print turned as a plane maps its landmarks by a pure homography; a live
// head turned as far does not (the nose moves against the cheeks).
func TestFlatIsHomographyLiveIsNot(t *testing.T) {
	r := testRender(t)
	rms := map[string]float64{}
	for _, a := range []string{AttackNone, AttackFlat} {
		clip, err := r.Render(Params{Face: facePath(t, defaultFace), Script: "neutral 0.2s; HEAD_LEFT 30deg 1s", Attack: a, NoSway: true, NoBlinks: true})
		if err != nil {
			t.Fatal(err)
		}
		rms[a] = homographyRMS(clip.Truth.Frames[0].Landmarks, clip.Truth.Frames[len(clip.Frames)-1].Landmarks)
	}
	t.Logf("homography residual of the 68 landmarks: live %.2f px, flat %.2f px", rms[AttackNone], rms[AttackFlat])
	if rms[AttackFlat] > 0.5 {
		t.Errorf("flat print: residual %.2f px; want < 0.5 (a plane)", rms[AttackFlat])
	}
	if rms[AttackNone] < 3 {
		t.Errorf("live head: residual %.2f px; want > 3 (parallax)", rms[AttackNone])
	}
}

// homographyRMS fits a homography from a to b (least squares over all
// points, gesture.FitHomography) and returns the RMS distance of the mapped
// points.
func homographyRMS(a, b [][2]R1) float64 {
	if len(a) != gesture.NumLandmarks || len(b) != gesture.NumLandmarks {
		panic(fmt.Sprintf("homographyRMS: %d and %d points; want %d", len(a), len(b), gesture.NumLandmarks))
	}
	var src, dst gesture.Landmarks
	idx := make([]int, gesture.NumLandmarks)
	for i := range a {
		src[i] = gesture.Point{X: float32(a[i][0]), Y: float32(a[i][1])}
		dst[i] = gesture.Point{X: float32(b[i][0]), Y: float32(b[i][1])}
		idx[i] = i
	}
	h := gesture.FitHomography(&src, &dst, idx)
	var sum float64
	for i := range a {
		x, y := float64(a[i][0]), float64(a[i][1])
		w := h[6]*x + h[7]*y + h[8]
		u := (h[0]*x + h[1]*y + h[2]) / w
		v := (h[3]*x + h[4]*y + h[5]) / w
		sum += (u-float64(b[i][0]))*(u-float64(b[i][0])) + (v-float64(b[i][1]))*(v-float64(b[i][1]))
	}
	return math.Sqrt(sum / float64(len(a)))
}

func overlap(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	ia := float64(in.Dx() * in.Dy())
	u := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia
	if u <= 0 {
		return 0
	}
	return ia / u
}

// The warp leaves no hole or seam: with the canvas first filled with a
// colour that appears nowhere else and every triangle drawn, no pixel of
// that colour survives, for strong poses of every photo.
func TestMeshHasNoHoles(t *testing.T) {
	r := testRender(t)
	for _, name := range []string{defaultFace, "portrait-obama-2012.jpg", "astronaut.png", "grace-hopper-1984.jpg", "kamala-harris-2021.jpg", "victor-glover-2020.jpg"} {
		ph, err := r.LoadPhoto(facePath(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, scale := range []float64{0.2, 0.35, 0.6} {
			f, err := NewFace(ph.Img, ph.LM, FaceOptions{Width: 640, Height: 480, Scale: scale})
			if err != nil {
				t.Fatal(err)
			}
			rd := &renderer{holes: true}
			dst := newRGB(640, 480)
			for _, s := range []State{
				{Yaw: 40, LeftEye: 1, RightEye: 1}, {Yaw: -40, Pitch: 10, Roll: 8, LeftEye: 1, RightEye: 1},
				{Pitch: 25, Mouth: 1}, {Pitch: -25, Yaw: 15, LeftEye: 1}, {TX: 8, TY: -5, Roll: -10, RightEye: 0.5, Mouth: 0.5},
			} {
				f.render(rd, s, dst)
				holes := 0
				for i := 0; i < len(dst.Pix); i += 3 {
					if dst.Pix[i] == holeColor[0] && dst.Pix[i+1] == holeColor[1] && dst.Pix[i+2] == holeColor[2] {
						holes++
					}
				}
				if holes > 0 {
					t.Errorf("%s scale %.2f state %+v: %d pixels not covered by the mesh", name, scale, s, holes)
				}
			}
		}
	}
}

// The face region of a rendered frame is never left black: no pixel inside
// the jaw and brows (outside the open mouth) is darker than the photo's own
// darkest skin.
func TestFaceRegionNotBlack(t *testing.T) {
	r := testRender(t)
	clip, err := r.Render(Params{Face: facePath(t, defaultFace), Script: "HEAD_LEFT 40deg 0.6s; HEAD_RIGHT 40deg 0.6s; HEAD_UP 25deg 0.6s; HEAD_DOWN 25deg 0.6s", Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range clip.Frames {
		lm := clip.Truth.Frames[i].Landmarks
		var poly []Pt
		for k := 0; k <= 16; k++ {
			poly = append(poly, Pt{float64(lm[k][0]), float64(lm[k][1])})
		}
		for k := 26; k >= 17; k-- {
			poly = append(poly, Pt{float64(lm[k][0]), float64(lm[k][1])})
		}
		black := 0
		fillPolygon(poly, f.W, f.H, func(x, y int) {
			if f.Y[y*f.W+x] <= 16 {
				black++
			}
		})
		if black > 0 {
			t.Errorf("frame %d: %d black pixels in the face", i, black)
		}
	}
}

// The same parameters give byte-identical files; another seed does not.
func TestDeterministic(t *testing.T) {
	r := testRender(t)
	p := Params{Face: facePath(t, defaultFace), Script: "neutral 0.5s; HEAD_LEFT 20deg 0.6s; blink 0.5s", Seed: 42, Noise: 3, Glasses: true}
	render := func(p Params) ([]byte, []byte) {
		var v, tr bytes.Buffer
		if err := r.WriteClip(p, &v, &tr); err != nil {
			t.Fatal(err)
		}
		return v.Bytes(), tr.Bytes()
	}
	v1, t1 := render(p)
	v2, t2 := render(p)
	if !bytes.Equal(v1, v2) || !bytes.Equal(t1, t2) {
		t.Fatal("same seed gave different output")
	}
	p.Seed = 43
	v3, _ := render(p)
	if bytes.Equal(v1, v3) {
		t.Error("another seed gave the same video")
	}
}

// Attack clips are marked as attacks, still show a face, and the loop and the
// still photo repeat exactly.
func TestAttacks(t *testing.T) {
	r := testRender(t)
	det := newDetector(t)
	face := facePath(t, defaultFace)
	for _, a := range []string{AttackFlat, AttackStill, AttackScreen, AttackLoop} {
		t.Run(a, func(t *testing.T) {
			clip, err := r.Render(Params{Face: face, Script: "neutral 0.3s; HEAD_LEFT 25deg 0.6s", Seed: 5, Attack: a})
			if err != nil {
				t.Fatal(err)
			}
			if clip.Truth.Live || clip.Truth.Attack != a {
				t.Errorf("truth: live %v attack %q; want false, %q", clip.Truth.Live, clip.Truth.Attack, a)
			}
			for i, f := range clip.Frames {
				ft := clip.Truth.Frames[i]
				if ft.Live || ft.Attack != a {
					t.Fatalf("frame %d marked live %v attack %q", i, ft.Live, ft.Attack)
				}
				faces, err := det.Detect(grayOf(f))
				if err != nil {
					t.Fatal(err)
				}
				if len(faces) != 1 {
					t.Fatalf("frame %d: %d faces; want 1", i, len(faces))
				}
			}
			n := len(clip.Frames)
			switch a {
			case AttackLoop:
				if n != 3*14 {
					t.Fatalf("loop frames: got %d; want 42", n)
				}
				for i := 14; i < n; i++ {
					if !bytes.Equal(clip.Frames[i].Y, clip.Frames[i%14].Y) || *clip.Truth.Frames[i].LoopOf != i%14 {
						t.Fatalf("frame %d does not repeat frame %d", i, i%14)
					}
				}
			case AttackStill:
				for i := 1; i < n; i++ {
					if !bytes.Equal(clip.Frames[i].Y, clip.Frames[0].Y) {
						t.Fatalf("still frame %d differs from frame 0", i)
					}
				}
			case AttackFlat:
				// A print turns as a plane: landmarks keep the flat
				// picture's ratios, the nose does not move against the
				// cheeks.
				ft := clip.Truth.Frames[n-1]
				if ft.Yaw < 20 {
					t.Errorf("flat print not turned: yaw %v", ft.Yaw)
				}
			}
		})
	}
}

// Options render and keep the face detectable; the second face is found.
func TestOptions(t *testing.T) {
	r := testRender(t)
	det := newDetector(t)
	face := facePath(t, defaultFace)
	for _, p := range []Params{
		{Light: LightDark}, {Light: LightBacklit}, {Light: LightBright}, {Noise: 6}, {Blur: true},
		{Scale: 0.2}, {Scale: 0.6}, {Glasses: true}, {SecondFace: facePath(t, "portrait-obama-2012.jpg")},
	} {
		p.Face, p.Script, p.Seed = face, "HEAD_RIGHT 25deg 0.5s; HEAD_OPEN_MOUTH 0.3s", 9
		clip, err := r.Render(p)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if p.SecondFace != "" {
			want = 2
		}
		for i, f := range clip.Frames {
			faces, err := det.Detect(grayOf(f))
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != want || clip.Truth.Frames[i].Faces != want {
				t.Errorf("%+v frame %d: %d faces found, truth %d; want %d", p, i, len(faces), clip.Truth.Frames[i].Faces, want)
				break
			}
		}
	}
}

// Cached renders once and then returns the same files at once.
func TestCached(t *testing.T) {
	dir := t.TempDir()
	p := Params{Face: facePath(t, defaultFace), Script: "neutral 0.5s; HEAD_UP 0.5s", Seed: 1}
	lm := EngineLandmarks(perception.LazyPhotoLandmarks(perception.FootageConfig()))
	start := time.Now()
	c1, err := Cached(dir, p, lm)
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	start = time.Now()
	c2, err := Cached(dir, p, lm)
	if err != nil {
		t.Fatal(err)
	}
	if c1 != c2 {
		t.Errorf("second call: got %+v; want %+v", c2, c1)
	}
	if again := time.Since(start); again > first/2 {
		t.Errorf("cached call took %v (first %v)", again, first)
	}
	tr, err := ReadTruth(c1.Truth)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(c1.Video)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	yr, err := NewY4MReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := yr.ReadFrame(nil); err != nil {
			break
		}
		n++
	}
	if n != tr.NumFrames || n != 15 || len(tr.Frames) != n {
		t.Errorf("frames: video %d, truth %d/%d; want 15", n, tr.NumFrames, len(tr.Frames))
	}
	if math.Abs(float64(tr.Frames[14].Pitch)) < 10 {
		t.Errorf("truth read back: pitch at the end %v", tr.Frames[14].Pitch)
	}
}

func BenchmarkRenderFrame(b *testing.B) {
	r := testRender(b)
	ph, err := r.LoadPhoto(facePath(b, defaultFace))
	if err != nil {
		b.Fatal(err)
	}
	f, err := NewFace(ph.Img, ph.LM, FaceOptions{Width: 640, Height: 480, Scale: 0.35})
	if err != nil {
		b.Fatal(err)
	}
	rd := &renderer{}
	rgb := newRGB(640, 480)
	yuv := NewYUVFrame(640, 480)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := State{Yaw: 25 * math.Sin(float64(i)/10), Pitch: 5, LeftEye: 1, RightEye: 0.5, Mouth: 0.3}
		f.render(rd, s, rgb)
		toYUV(rgb, yuv, 2, 1, i)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// The renderer puts each landmark where the pinhole model says (rotate the
// back-projected model point about the pivot, project), and the photo's
// pixels follow: a patch round the landmark in the neutral frame is found
// again at the projected place.
func TestLandmarksFollowPinhole(t *testing.T) {
	r := testRender(t)
	ph, err := r.LoadPhoto(facePath(t, defaultFace))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFace(ph.Img, ph.LM, FaceOptions{Width: 640, Height: 480, Scale: 0.35})
	if err != nil {
		t.Fatal(err)
	}
	rd := &renderer{}
	neutral, turned := newRGB(640, 480), newRGB(640, 480)
	f.render(rd, Neutral, neutral)
	st := State{Yaw: 12, Pitch: -6, Roll: 3, LeftEye: 1, RightEye: 1}
	f.render(rd, st, turned)
	R := HeadRotation(st.Yaw, st.Pitch, st.Roll)
	for _, i := range []int{8, 30, 33, 36, 39, 42, 45, 48, 54} {
		v := f.cam.Unproject(f.lm[i], f.z0-LandmarkDepth(i))
		want := f.cam.Project(RotateAbout(R, f.pivot, v))
		got := rd.ps.dst[i]
		if math.Hypot(got.X-want.X, got.Y-want.Y) > 0.5 {
			t.Errorf("landmark %d: at %.2f,%.2f; the pinhole model says %.2f,%.2f", i, got.X, got.Y, want.X, want.Y)
		}
		if i == 36 || i == 45 {
			continue // outer eye corners: too little texture to find a patch
		}
		// Find the neutral 11×11 patch round the landmark in the turned
		// frame (zero-mean normalised correlation of luma, which shading
		// does not fool), searching ±12 px round the predicted place.
		luma := func(im *rgbImage, x, y int) float64 {
			o := 3 * (y*im.W + x)
			return 0.299*float64(im.Pix[o]) + 0.587*float64(im.Pix[o+1]) + 0.114*float64(im.Pix[o+2])
		}
		patch := func(im *rgbImage, x0, y0 int) []float64 {
			var p []float64
			var m float64
			for y := -5; y <= 5; y++ {
				for x := -5; x <= 5; x++ {
					v := luma(im, x0+x, y0+y)
					p = append(p, v)
					m += v
				}
			}
			m /= float64(len(p))
			var n float64
			for k := range p {
				p[k] -= m
				n += p[k] * p[k]
			}
			n = math.Sqrt(n) + 1e-9
			for k := range p {
				p[k] /= n
			}
			return p
		}
		bx, by, best := 0, 0, math.Inf(-1)
		cx, cy := int(math.Round(f.lm[i].X)), int(math.Round(f.lm[i].Y))
		px, py := int(math.Round(want.X)), int(math.Round(want.Y))
		ref := patch(neutral, cx, cy)
		for dy := -12; dy <= 12; dy++ {
			for dx := -12; dx <= 12; dx++ {
				q := patch(turned, px+dx, py+dy)
				var c float64
				for k := range q {
					c += q[k] * ref[k]
				}
				if c > best {
					best, bx, by = c, dx, dy
				}
			}
		}
		t.Logf("landmark %d: patch found at %+d,%+d px (correlation %.2f)", i, bx, by, best)
		if math.Hypot(float64(bx), float64(by)) > 2 {
			t.Errorf("landmark %d: its patch moved to %+d,%+d px from where the pinhole model puts it", i, bx, by)
		}
	}
}

// BenchmarkClip10s renders a 10-second clip (150 frames at 15 fps) in
// memory, photo landmarks already known: what a test pays to build its clip
// on the fly.
func BenchmarkClip10s(b *testing.B) {
	r := testRender(b)
	p := Params{Face: facePath(b, defaultFace), Script: "neutral 2s; HEAD_LEFT 2s; neutral 1s; HEAD_00 1s; HEAD_UP 2s; HEAD_OPEN_MOUTH 2s", Seed: 1}
	if _, err := r.LoadPhoto(p.Face); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var video, truth bytes.Buffer
		if err := r.WriteClip(p, &video, &truth); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(150*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// Every bundled photo (several people, skin tones, ages, one with glasses)
// renders a clip of turns, closed eyes and an open mouth in which YuNet finds
// exactly one face in every frame.
func TestEveryPhoto(t *testing.T) {
	r := testRender(t)
	det := newDetector(t)
	for _, name := range []string{"astronaut.png", "grace-hopper-1984.jpg", "kamala-harris-2021.jpg", "mazie-hirono.jpg", "portrait-obama-2012.jpg", "victor-glover-2020.jpg"} {
		clip, err := r.Render(Params{Face: facePath(t, name), Script: "HEAD_LEFT 0.5s; HEAD_RIGHT 0.5s; HEAD_DOWN 0.4s; HEAD_00 0.3s; HEAD_OPEN_MOUTH 0.4s", Seed: 11})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, f := range clip.Frames {
			faces, err := det.Detect(f.Gray())
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != 1 {
				t.Errorf("%s frame %d (%+v): %d faces; want 1", name, i, clip.Truth.Frames[i].Yaw, len(faces))
			}
		}
	}
}
