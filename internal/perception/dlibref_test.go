//go:build dlibref

package perception_test

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// TestDlibAgreement compares the pure-Go landmarks with dlib's own C++ predictor
// (landmarks/testdata/dlibref) on every test photo, for the mapped box and six jittered
// ones. Run with -tags dlibref; it needs g++ and libdlib-dev.
func TestDlibAgreement(t *testing.T) {
	m := landmarkModel(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "dlibref")
	src := filepath.Join("..", "gesture", "landmarks", "testdata", "dlibref", "dlibref.cpp")
	build := exec.Command("g++", "-O3", "-march=native", "-o", bin, src,
		"-ldlib", "-lpthread", "-lpng", "-ljpeg", "-lz", "-l:libblas.so.3", "-l:liblapack.so.3")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build dlibref (needs `apt-get install -y g++ libdlib-dev`): %v\n%s", err, out)
	}
	d := newDetector(t)
	type request struct {
		name string
		img  *image.Gray
		box  image.Rectangle
	}
	var reqs []request
	var in strings.Builder
	for _, path := range photos(t) {
		img := loadGray(t, path)
		faces, err := d.Detect(img)
		if err != nil || len(faces) != 1 {
			t.Fatalf("%s: %d faces, err %v", path, len(faces), err)
		}
		pngPath := filepath.Join(dir, filepath.Base(path)+".png")
		f, err := os.Create(pngPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		box := landmarks.BoxFromDetection(faces[0].Box, faces[0].Keypoints)
		j := max(1, box.Dx()/25)
		for _, b := range []image.Rectangle{box, box.Add(image.Pt(j, 0)), box.Add(image.Pt(-j, j)),
			box.Add(image.Pt(0, -j)), box.Inset(j), box.Inset(-j), faces[0].Box} {
			reqs = append(reqs, request{filepath.Base(path), img, b})
			fmt.Fprintf(&in, "%s %d %d %d %d\n", pngPath, b.Min.X, b.Min.Y, b.Max.X-1, b.Max.Y-1)
		}
	}
	cmd := exec.Command(bin, landmarkModelPath(), "-bench", "500")
	cmd.Stdin = strings.NewReader(in.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dlibref: %v\n%s", err, stderr.String())
	}
	t.Logf("dlib C++ (g++ -O3 -march=native): %s", strings.TrimSpace(stderr.String()))
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	p := landmarks.NewPredictor(m)
	got := make([]landmarks.Point, m.NumLandmarks())
	var worst float64
	for i, r := range reqs {
		if !sc.Scan() {
			t.Fatalf("dlibref answered %d of %d requests", i, len(reqs))
		}
		f := strings.Fields(sc.Text())
		if len(f) != 2*len(got) {
			t.Fatalf("dlibref answered %d numbers, want %d", len(f), 2*len(got))
		}
		p.Predict(r.img, r.box, got)
		for k := range got {
			var x, y float64
			fmt.Sscan(f[2*k], &x)
			fmt.Sscan(f[2*k+1], &y)
			e := math.Max(math.Abs(float64(got[k].X)-x), math.Abs(float64(got[k].Y)-y))
			worst = math.Max(worst, e)
			if e > 0.5+1e-3 {
				t.Errorf("%s box %v: point %d: Go (%.2f, %.2f), dlib (%v, %v)", r.name, r.box, k, got[k].X, got[k].Y, x, y)
			}
		}
	}
	t.Logf("%d predictions: largest coordinate difference from dlib %.3f px (dlib rounds to whole pixels)", len(reqs), worst)
}
