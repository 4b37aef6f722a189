package faceid_test

import (
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/faceid"
)

// TestSimilarityMapping: 0.5 at the threshold, monotonically falling with the distance,
// in (0, 1).
func TestSimilarityMapping(t *testing.T) {
	const th = 0.6
	if s := faceid.Similarity(th, th); math.Abs(s-0.5) > 1e-12 {
		t.Errorf("Similarity(threshold) = %v, want 0.5", s)
	}
	prev := 1.0
	for d := 0.0; d <= 2; d += 0.05 {
		s := faceid.Similarity(d, th)
		if s <= 0 || s >= 1 || s > prev {
			t.Fatalf("Similarity(%.2f) = %v after %v", d, s, prev)
		}
		prev = s
	}
	if s := faceid.Similarity(0.3, th); s < 0.95 {
		t.Errorf("a typical same-person distance 0.3 scores %.3f", s)
	}
	if s := faceid.Similarity(0.9, th); s > 0.05 {
		t.Errorf("a typical different-person distance 0.9 scores %.3f", s)
	}
}

func TestDistance(t *testing.T) {
	var a, b faceid.Embedding
	a[0], b[0], b[1] = 1, -2, 4
	if d := faceid.Distance(a, b); math.Abs(d-5) > 1e-9 {
		t.Errorf("Distance = %v, want 5", d)
	}
}

// mirrorLandmarks is a 68-point set whose points 17–67 are dlib's template in chip
// coordinates, moved by a known similarity into a larger image: the chip must undo it.
func TestAlignUndoesSimilarity(t *testing.T) {
	// A 600×600 image with a bright square whose chip position we know: put the square
	// where the template's nose tip (landmark 30) lands.
	const scale, angle = 2.5, 0.3 // image pixels per chip pixel, radians
	tx, ty := 200.0, 120.0
	fwd := func(x, y float64) (float64, float64) {
		c, s := math.Cos(angle)*scale, math.Sin(angle)*scale
		return c*x - s*y + tx, s*x + c*y + ty
	}
	lm := make([]faceid.Point, 68)
	for i := range lm {
		// Chip coordinates of the template; jaw points (0–16) are unused.
		cx, cy := faceid.TemplatePoint(i)
		lm[i].X, lm[i].Y = fwd(cx, cy)
	}
	img := image.NewRGBA(image.Rect(0, 0, 700, 700))
	noseX, noseY := faceid.TemplatePoint(30)
	ix, iy := fwd(noseX, noseY)
	for y := int(iy) - 10; y <= int(iy)+10; y++ {
		for x := int(ix) - 10; x <= int(ix)+10; x++ {
			img.Set(x, y, color.RGBA{255, 200, 100, 255})
		}
	}
	chip, err := faceid.Align(img, lm)
	if err != nil {
		t.Fatal(err)
	}
	c := chip.RGBAAt(int(math.Round(noseX)), int(math.Round(noseY)))
	if c.R != 255 || c.G != 200 || c.B != 100 {
		t.Errorf("chip at the template's nose tip is %v, want the square's colour", c)
	}
	// The square is 21 image pixels = 8.4 chip pixels wide: 6 chip pixels from the nose
	// tip is outside it.
	if c := chip.RGBAAt(int(noseX)+7, int(noseY)); c.R != 0 {
		t.Errorf("chip 7 pixels right of the nose tip is %v, want black", c)
	}
	if _, err := faceid.Align(img, lm[:5]); err == nil {
		t.Error("5 landmarks accepted")
	}
	same := make([]faceid.Point, 68)
	if _, err := faceid.Align(img, same); err == nil {
		t.Error("landmarks all at one point accepted")
	}
}

// TestLoadRejectsBrokenWeights: a truncated weights file or a manifest that does not
// describe it is an error, not a wrong network.
func TestLoadRejectsBrokenWeights(t *testing.T) {
	dir, err := faceid.FindModelDir("")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(filepath.Join(dir, faceid.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	short := filepath.Join(tmp, "short.bin")
	if err := os.WriteFile(short, bin[:len(bin)-1], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := faceid.Load(filepath.Join(dir, faceid.ManifestFile), short); err == nil || !strings.Contains(err.Error(), "ends inside") {
		t.Errorf("truncated weights: err %v", err)
	}
	long := filepath.Join(tmp, "long.bin")
	if err := os.WriteFile(long, append(bin, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := faceid.Load(filepath.Join(dir, faceid.ManifestFile), long); err == nil {
		t.Error("weights file with a trailing byte accepted")
	}
	if _, err := loadModel(t).Embed(image.NewRGBA(image.Rect(0, 0, 100, 100))); err == nil {
		t.Error("100×100 crop accepted")
	}
}

// BenchmarkEmbed is the network alone on one chip.
func BenchmarkEmbed(b *testing.B) {
	m := loadModel(b)
	chip := readChip(b, "astronaut.png")
	b.ResetTimer()
	for range b.N {
		if _, err := m.Embed(chip); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAlign is the alignment alone: a chip from a 910-pixel-wide portrait (the
// face about 350 pixels wide, so 3×3 samples per chip pixel).
func BenchmarkAlign(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 910, 1137))
	lm := make([]faceid.Point, 68)
	for i := range lm {
		x, y := faceid.TemplatePoint(i)
		lm[i] = faceid.Point{X: 250 + 2.5*x, Y: 300 + 2.5*y}
	}
	b.ResetTimer()
	for range b.N {
		if _, err := faceid.Align(img, lm); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGrade: each limit refuses on its own, and the grades step down with each measure.
func TestGrade(t *testing.T) {
	good := faceid.FaceMeasures{Width: 200, Yaw: 0.05, Roll: 2, Sharpness: 300}
	for _, tc := range []struct {
		name    string
		mod     func(*faceid.FaceMeasures)
		q       faceid.Quality
		problem string
	}{
		{"good", func(*faceid.FaceMeasures) {}, faceid.QualityHigh, ""},
		{"small", func(m *faceid.FaceMeasures) { m.Width = 50 }, faceid.QualityLow, "too small"},
		{"turned", func(m *faceid.FaceMeasures) { m.Yaw = -0.6 }, faceid.QualityLow, "turned"},
		{"tilted", func(m *faceid.FaceMeasures) { m.Roll = 35 }, faceid.QualityLow, "tilted"},
		{"blurred", func(m *faceid.FaceMeasures) { m.Sharpness = 5 }, faceid.QualityLow, "blurred"},
		{"medium width", func(m *faceid.FaceMeasures) { m.Width = 100 }, faceid.QualityMedium, ""},
		{"medium yaw", func(m *faceid.FaceMeasures) { m.Yaw = 0.25 }, faceid.QualityMedium, ""},
		{"low yaw", func(m *faceid.FaceMeasures) { m.Yaw = 0.4 }, faceid.QualityLow, ""},
		{"low sharpness", func(m *faceid.FaceMeasures) { m.Sharpness = 20 }, faceid.QualityLow, ""},
	} {
		m := good
		tc.mod(&m)
		q, p := faceid.Grade(m)
		if q != tc.q || (tc.problem == "") != (p == "") || !strings.Contains(p, tc.problem) {
			t.Errorf("%s: got %s %q; want %s with %q", tc.name, q, p, tc.q, tc.problem)
		}
	}
}

// TestMeasure: yaw and roll from landmarks placed by hand; a flat chip has no sharpness.
func TestMeasure(t *testing.T) {
	lm := make([]faceid.Point, 68)
	lm[0], lm[16], lm[30] = faceid.Point{X: 100, Y: 200}, faceid.Point{X: 300, Y: 200}, faceid.Point{X: 250, Y: 250}
	for i := 0; i < 6; i++ {
		lm[36+i] = faceid.Point{X: 150, Y: 150}
		lm[42+i] = faceid.Point{X: 250, Y: 250} // right eye 45° lower
	}
	flat := image.NewRGBA(image.Rect(0, 0, 150, 150))
	m := faceid.Measure(lm, flat)
	dl, dr := math.Hypot(150, 50), math.Hypot(50, 50)
	if math.Abs(m.Width-200) > 1e-9 || math.Abs(m.Yaw-(dl-dr)/(dl+dr)) > 1e-9 || math.Abs(m.Roll-45) > 1e-9 || m.Sharpness != 0 {
		t.Errorf("got %+v", m)
	}
	for i := range flat.Pix {
		if (i/4)%2 == 0 {
			flat.Pix[i] = 255
		}
	}
	if m := faceid.Measure(lm, flat); m.Sharpness < 1000 {
		t.Errorf("striped chip: sharpness %v", m.Sharpness)
	}
}

// TestVerify: the mean of the live frames is compared; no frame, or a reference of the
// wrong length, is no match.
func TestVerify(t *testing.T) {
	ref := make([]float32, faceid.Dims)
	var near, far faceid.Embedding
	near[0], far[0] = 0.2, 0.6 // mean 0.4 from the reference
	d, c, same := faceid.Verify(ref, []faceid.Embedding{near, far}, 0.5)
	if math.Abs(d-0.4) > 1e-6 || !same || math.Abs(c-faceid.Similarity(0.4, 0.5)) > 1e-6 {
		t.Errorf("got %v %v %v; want distance 0.4, a match", d, c, same)
	}
	if _, _, same := faceid.Verify(ref, []faceid.Embedding{far}, 0.5); same {
		t.Error("distance 0.6 matched at 0.5")
	}
	if _, c, same := faceid.Verify(ref, nil, 0.5); same || c != 0 {
		t.Error("no live frame matched")
	}
	if _, _, same := faceid.Verify(ref[:5], []faceid.Embedding{near}, 0.5); same {
		t.Error("a short reference matched")
	}
}
