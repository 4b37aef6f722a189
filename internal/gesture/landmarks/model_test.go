package landmarks

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// modelPath is the 68-point model the tests use: $LIVEGATE_LANDMARK_MODEL or Debian's.
func modelPath() string {
	if p := os.Getenv("LIVEGATE_LANDMARK_MODEL"); p != "" {
		return p
	}
	return DefaultModelPath
}

var (
	realOnce  sync.Once
	realModel *Model
	realErr   error
)

// model68 loads the real model once per test binary. A missing model fails the test:
// `make test` installs it.
func model68(t testing.TB) *Model {
	t.Helper()
	realOnce.Do(func() { realModel, realErr = Load(modelPath()) })
	if realErr != nil {
		t.Fatalf("%v\nthe 68-point landmark model is needed: run `make test` (installs Debian's libdlib-data) or set LIVEGATE_LANDMARK_MODEL", realErr)
	}
	return realModel
}

func TestLoadRealModel(t *testing.T) {
	m := model68(t)
	if got := m.NumLandmarks(); got != 68 {
		t.Fatalf("NumLandmarks() = %d; want 68", got)
	}
	// The cascade dlib ships: 15 levels of 500 trees of depth 4 (15 splits) over 500
	// feature pixels per level.
	if len(m.levels) != 15 || m.nSplits != 15 || m.nFeat != 500 {
		t.Errorf("levels %d, splits per tree %d, feature pixels %d; want 15, 15, 500", len(m.levels), m.nSplits, m.nFeat)
	}
	for i, lv := range m.levels {
		if lv.nTrees != 500 {
			t.Errorf("level %d: %d trees; want 500", i, lv.nTrees)
		}
	}
	// The mean shape is a face in its unit box: eyes above nose above mouth above chin,
	// right eye (36–41) on the left, symmetric about x = 0.5.
	s := m.MeanShape()
	if !(s[36].X < s[45].X && s[27].Y < s[30].Y && s[30].Y < s[51].Y && s[51].Y < s[8].Y) {
		t.Errorf("mean shape is not an upright face: %v", s)
	}
	if d := math.Abs(float64(s[30].X+s[8].X)/2 - 0.5); d > 0.01 {
		t.Errorf("mean shape off-centre by %.3f", d)
	}
}

func TestMeanKeypoints(t *testing.T) {
	k := model68(t).keypoints()
	for i := range k {
		for c := range 2 {
			if d := math.Abs(k[i][c] - meanKeypoints[i][c]); d > 1e-4 {
				t.Errorf("meanKeypoints[%d][%d] = %v; the model has %v", i, c, meanKeypoints[i][c], k[i][c])
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := make([]byte, 1<<20)
	f, err := os.Open(modelPath())
	if err != nil {
		t.Fatalf("%v: run `make test` (installs libdlib-data)", err)
	}
	if _, err := io.ReadFull(f, head); err != nil {
		t.Fatal(err)
	}
	f.Close()
	garbage := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	png, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "faces", "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		is         error
		msg        string
	}{
		{"missing", filepath.Join(dir, "nope.dat"), fs.ErrNotExist, "nope.dat"},
		{"empty", write("empty.dat", nil), ErrFormat, "truncated"},
		{"truncated", write("head.dat", head), ErrFormat, "truncated after 1048576 bytes"},
		{"garbage", write("garbage.dat", garbage), ErrFormat, "not a dlib shape_predictor"},
		{"text", write("text.dat", []byte("shape_predictor_68_face_landmarks\n")), ErrFormat, "bad integer"},
		{"image", write("face.png", png), ErrFormat, "not a dlib shape_predictor"},
		{"bzip2", write("sp.dat.bz2", []byte("BZh91AY&SY\x00\x01")), ErrFormat, "bunzip2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Load(c.path)
			if err == nil || m != nil {
				t.Fatalf("Load = %v, %v; want an error", m, err)
			}
			if !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
			if !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("error %q should name %q and the file", err, c.msg)
			}
		})
	}
}

// TestReadTruncatedAnywhere cuts a small model at every byte: each prefix must be
// rejected as truncated, never accepted or misread.
func TestReadTruncatedAnywhere(t *testing.T) {
	b := tinyModel().encode()
	for n := 0; n < len(b); n++ {
		_, err := Read(bytes.NewReader(b[:n]))
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("Read of the first %d of %d bytes: %v; want a truncation error", n, len(b), err)
		}
	}
	if _, err := Read(bytes.NewReader(b)); err != nil {
		t.Fatalf("Read of the whole model: %v", err)
	}
}

// tinyModel is a two-landmark model with one level of one depth-1 tree that compares
// the pixels at the two landmarks: brighter left landmark → leaf 0 moves both points
// right by 0.1 box, otherwise leaf 1 moves them down by 0.2.
func tinyModel() testModel {
	return testModel{
		mean: []float32{0.25, 0.5, 0.75, 0.5},
		forests: [][]testTree{{{
			splits: [][3]float64{{0, 1, 10}},
			leaves: [][]float32{{0.1, 0, 0.1, 0}, {0, 0.2, 0, 0.2}},
		}}},
		anchors: [][]int{{0, 1}},
		deltas:  [][][2]float32{{{0, 0}, {0, 0}}},
	}
}

func TestPredictTinyModel(t *testing.T) {
	m, err := Read(bytes.NewReader(tinyModel().encode()))
	if err != nil {
		t.Fatal(err)
	}
	if m.NumLandmarks() != 2 {
		t.Fatalf("NumLandmarks() = %d; want 2", m.NumLandmarks())
	}
	img := image.NewGray(image.Rect(0, 0, 200, 200))
	box := image.Rect(50, 50, 151, 151) // 100 px from first to last pixel
	out := make([]Point, 2)
	// Landmark 0 starts at (75, 100), landmark 1 at (125, 100).
	img.Pix[100*img.Stride+75] = 200
	m.Predict(img, box, out)
	want := []Point{{85, 100}, {135, 100}}
	if !near(out, want, 1e-3) {
		t.Errorf("bright left landmark: got %v; want %v", out, want)
	}
	img.Pix[100*img.Stride+125] = 250
	m.Predict(img, box, out)
	want = []Point{{75, 120}, {125, 120}}
	if !near(out, want, 1e-3) {
		t.Errorf("bright right landmark: got %v; want %v", out, want)
	}
	// A sub-image keeps the parent's coordinates.
	sub := img.SubImage(image.Rect(20, 20, 180, 180)).(*image.Gray)
	m.Predict(sub, box, out)
	if !near(out, want, 1e-3) {
		t.Errorf("sub-image: got %v; want %v", out, want)
	}
	// Outside the image pixels read as 0, as in dlib: both zero → leaf 1.
	far := box.Add(image.Pt(1000, 0))
	m.Predict(img, far, out)
	want = []Point{{1075, 120}, {1125, 120}}
	if !near(out, want, 1e-3) {
		t.Errorf("box outside the image: got %v; want %v", out, want)
	}
}

// TestPredictFeatureTransform checks that feature pixels follow the current shape
// through the similarity transform: a second level samples a pixel at an offset from a
// landmark, and the offset scales with the shape the first level produced.
func TestPredictFeatureTransform(t *testing.T) {
	tm := testModel{
		mean: []float32{0.4, 0.5, 0.6, 0.5},
		forests: [][]testTree{
			// Level 0: always leaf 1 (0 - 0 > 1 is false): spread the points to 0.2 and 0.8.
			{{splits: [][3]float64{{0, 0, 1}}, leaves: [][]float32{{0, 0, 0, 0}, {-0.2, 0, 0.2, 0}}}},
			// Level 1: pixel at anchor 0 + delta vs. pixel at anchor 0.
			{{splits: [][3]float64{{0, 1, 10}}, leaves: [][]float32{{0, 0.1, 0, 0.1}, {0, 0, 0, 0}}}},
		},
		anchors: [][]int{{0}, {0, 0}},
		deltas:  [][][2]float32{{{0, 0}}, {{0, 0.1}, {0, 0}}},
	}
	m, err := Read(bytes.NewReader(tm.encode()))
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 300, 300))
	box := image.Rect(0, 0, 101, 101)
	out := make([]Point, 2)
	// After level 0 the shape is 3 times as wide as the mean: a delta of 0.1 box is 0.3
	// box = 30 px below landmark 0 at (20, 50), so the bright pixel at (20, 80) is seen,
	// not one at (20, 60).
	img.Pix[60*img.Stride+20] = 255
	m.Predict(img, box, out)
	if want := []Point{{20, 50}, {80, 50}}; !near(out, want, 1e-3) {
		t.Errorf("pixel at the unscaled offset: got %v; want %v", out, want)
	}
	img.Pix[80*img.Stride+20] = 255
	m.Predict(img, box, out)
	if want := []Point{{20, 60}, {80, 60}}; !near(out, want, 1e-3) {
		t.Errorf("pixel at the scaled offset: got %v; want %v", out, want)
	}
}

func TestReadRejectsInconsistentModels(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*testModel)
		msg  string
	}{
		{"odd shape", func(m *testModel) { m.mean = m.mean[:3] }, "initial shape"},
		{"anchor out of range", func(m *testModel) { m.anchors[0][1] = 2 }, "anchor index"},
		{"feature out of range", func(m *testModel) { m.forests[0][0].splits[0][1] = 5 }, "split uses feature"},
		{"short leaf", func(m *testModel) { m.forests[0][0].leaves[1] = []float32{1, 2} }, "want 4"},
		{"missing leaf", func(m *testModel) { m.forests[0][0].leaves = m.forests[0][0].leaves[:1] }, "leaves"},
		{"levels mismatch", func(m *testModel) { m.anchors = append(m.anchors, []int{0}) }, "anchor lists"},
		{"deltas mismatch", func(m *testModel) { m.deltas[0] = m.deltas[0][:1] }, "deltas for 2 anchors"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tm := tinyModel()
			c.edit(&tm)
			_, err := Read(bytes.NewReader(tm.encode()))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("Read: %v; want ErrFormat mentioning %q", err, c.msg)
			}
		})
	}
	// Trailing bytes mean the format was misread.
	b := append(tinyModel().encode(), 0x01, 0x00)
	if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrFormat) {
		t.Errorf("Read with trailing data: %v; want ErrFormat", err)
	}
}

func near(got, want []Point, tol float32) bool {
	for i := range got {
		if abs32(got[i].X-want[i].X) > tol || abs32(got[i].Y-want[i].Y) > tol {
			return false
		}
	}
	return true
}

func abs32(f float32) float32 { return float32(math.Abs(float64(f))) }

func loadGray(t testing.TB, name string) *image.Gray {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "testdata", "faces", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// centreBox is a square box in the middle of img covering a third of its width: a
// plausible face box for timing and allocation tests, which do not judge the result.
func centreBox(img *image.Gray) image.Rectangle {
	s := img.Rect.Dx() / 3
	c := img.Rect.Min.Add(img.Rect.Size().Div(2))
	return image.Rect(c.X-s/2, c.Y-s/2, c.X+s/2, c.Y+s/2)
}

func TestPredictNoAllocs(t *testing.T) {
	m := model68(t)
	img := loadGray(t, "astronaut.png")
	p := NewPredictor(m)
	out := make([]Point, m.NumLandmarks())
	box := centreBox(img)
	if a := testing.AllocsPerRun(20, func() { p.Predict(img, box, out) }); a != 0 {
		t.Errorf("Predict allocates %v times per call; want 0", a)
	}
}

// TestPredictConcurrent shares one Model between goroutines, each with its Predictor.
func TestPredictConcurrent(t *testing.T) {
	m := model68(t)
	img := loadGray(t, "grace-hopper-1984.jpg")
	box := centreBox(img)
	want := make([]Point, m.NumLandmarks())
	m.Predict(img, box, want)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := NewPredictor(m)
			out := make([]Point, m.NumLandmarks())
			for i := 0; i < 5; i++ {
				p.Predict(img, box, out)
				if !near(out, want, 0) {
					t.Errorf("concurrent Predict differs")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestPredictWrongOutLength(t *testing.T) {
	m := model68(t)
	defer func() {
		if recover() == nil {
			t.Error("Predict with a short out slice did not panic")
		}
	}()
	m.Predict(image.NewGray(image.Rect(0, 0, 10, 10)), image.Rect(0, 0, 5, 5), make([]Point, 5))
}

func TestBoxFromDetection(t *testing.T) {
	// Keypoints of a face whose mean-shape box is (100,100) with side 200.
	var kp [5]image.Point
	for i, k := range meanKeypoints {
		kp[i] = image.Pt(int(math.Round(100+200*k[0])), int(math.Round(100+200*k[1])))
	}
	yunet := image.Rect(90, 60, 290, 300) // YuNet's box is taller; it must not matter
	got := BoxFromDetection(yunet, kp)
	if want := image.Rect(100, 100, 301, 301); !within(got, want, 1) {
		t.Errorf("BoxFromDetection = %v; want %v", got, want)
	}
	// Head roll of 20° about the box centre: same size, same centre.
	th := 20 * math.Pi / 180
	var rolled [5]image.Point
	for i, p := range kp {
		x, y := float64(p.X-200), float64(p.Y-200)
		rolled[i] = image.Pt(200+int(math.Round(x*math.Cos(th)-y*math.Sin(th))), 200+int(math.Round(x*math.Sin(th)+y*math.Cos(th))))
	}
	if got := BoxFromDetection(yunet, rolled); !within(got, image.Rect(100, 100, 301, 301), 2) {
		t.Errorf("rolled face: BoxFromDetection = %v; want about %v", got, image.Rect(100, 100, 301, 301))
	}
	// Degenerate keypoints: fall back to the scaled detector box.
	var none [5]image.Point
	fb := BoxFromDetection(yunet, none)
	if fb.Dx() != fb.Dy() || math.Abs(float64(fb.Dx())-yunetSide*200) > 2 {
		t.Errorf("fallback box %v; want a square of side %.0f", fb, yunetSide*200)
	}
	if got := model68(t).BoxFromKeypoints(yunet, toFloat(kp)); !within(got, image.Rect(100, 100, 301, 301), 1) {
		t.Errorf("Model.BoxFromKeypoints = %v", got)
	}
}

func toFloat(kp [5]image.Point) (k [5][2]float64) {
	for i, p := range kp {
		k[i] = [2]float64{float64(p.X), float64(p.Y)}
	}
	return k
}

func within(a, b image.Rectangle, tol int) bool {
	d := func(x, y int) bool { return x-y <= tol && y-x <= tol }
	return d(a.Min.X, b.Min.X) && d(a.Min.Y, b.Min.Y) && d(a.Max.X, b.Max.X) && d(a.Max.Y, b.Max.Y)
}

// BenchmarkPredict times a prediction with the leaves summed by the portable
// Go additions ("go") and, where the CPU has it, by AVX ("avx", the default):
// their ratio is sumLeaves' share of the gain.
func BenchmarkPredict(b *testing.B) {
	m := model68(b)
	img := loadGray(b, "astronaut.png")
	p := NewPredictor(m)
	out := make([]Point, m.NumLandmarks())
	box := centreBox(img)
	bothSumPaths(b, func(b *testing.B) {
		b.ReportAllocs()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu := threadCPU()
		for b.Loop() {
			p.Predict(img, box, out)
		}
		if cpu > 0 {
			b.ReportMetric(float64(threadCPU()-cpu)/float64(b.N), "cpu-ns/op")
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(modelPath()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBoxFromShape(t *testing.T) {
	m := model68(t)
	// The mean shape placed in a box gives that box back, also when rolled by 15°.
	box := image.Rect(40, 60, 241, 261) // side 200 from first to last pixel
	pts := make([]Point, m.NumLandmarks())
	th := 15 * math.Pi / 180
	for _, roll := range []float64{0, th} {
		for i, p := range m.MeanShape() {
			x, y := 200*(float64(p.X)-0.5), 200*(float64(p.Y)-0.5)
			pts[i] = Point{float32(140 + x*math.Cos(roll) - y*math.Sin(roll)), float32(160 + x*math.Sin(roll) + y*math.Cos(roll))}
		}
		if got := m.BoxFromShape(pts); !within(got, box, 1) {
			t.Errorf("roll %.0f°: BoxFromShape = %v; want %v", roll*180/math.Pi, got, box)
		}
	}
	if a := testing.AllocsPerRun(10, func() { m.BoxFromShape(pts) }); a != 0 {
		t.Errorf("BoxFromShape allocates %v times", a)
	}
}
