package perception_test

import (
	"image"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
)

// yunetModel is the YuNet model committed in the repository, relative to this package.
var yunetModel = filepath.Join("..", "..", "models", "yunet", "face_detection_yunet_2022mar.onnx")

// photos are the real face photos of testdata/faces (one face each) plus gocv's
// images/face.jpg.
func photos(t testing.TB) []string {
	t.Helper()
	ps, err := filepath.Glob(filepath.Join("..", "..", "testdata", "faces", "*.*g"))
	if err != nil {
		t.Fatal(err)
	}
	ours := []string{"astronaut.png", "grace-hopper-1984.jpg", "kamala-harris-2021.jpg",
		"mazie-hirono.jpg", "portrait-obama-2012.jpg", "victor-glover-2020.jpg"}
	var out []string
	for _, p := range ps {
		for _, o := range ours {
			if filepath.Base(p) == o {
				out = append(out, p)
			}
		}
	}
	if len(out) != len(ours) {
		t.Fatalf("testdata/faces holds %d of the %d test photos", len(out), len(ours))
	}
	return append(out, gocvFace(t))
}

// gocvFace returns the path of gocv's images/face.jpg in the module cache.
func gocvFace(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "gocv.io/x/gocv").Output()
	if err != nil {
		t.Fatalf("locate gocv module: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "images", "face.jpg")
}

var grayCache sync.Map // path → *image.Gray: decoding the photos dominates the tests

// loadGray decodes the photo at path into grey (ITU-R 601 luma). Callers must not
// modify the returned image: it is shared between tests.
func loadGray(t testing.TB, path string) *image.Gray {
	t.Helper()
	if g, ok := grayCache.Load(path); ok {
		return g.(*image.Gray)
	}
	g := decodeGray(t, path)
	grayCache.Store(path, g)
	return g
}

func decodeGray(t testing.TB, path string) *image.Gray {
	t.Helper()
	img := decodeColour(t, path)
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// fitWidth scales g down (box filter) so that it is at most w pixels wide.
func fitWidth(g *image.Gray, w int) *image.Gray {
	if g.Rect.Dx() <= w {
		return g
	}
	return scaleGray(g, float64(w)/float64(g.Rect.Dx()))
}

// scaleGray resizes g by factor f with area averaging (f <= 1).
func scaleGray(g *image.Gray, f float64) *image.Gray {
	W, H := g.Rect.Dx(), g.Rect.Dy()
	w, h := max(1, int(float64(W)*f)), max(1, int(float64(H)*f))
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		y0, y1 := y*H/h, max((y+1)*H/h, y*H/h+1)
		for x := 0; x < w; x++ {
			x0, x1 := x*W/w, max((x+1)*W/w, x*W/w+1)
			sum, n := 0, 0
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					sum += int(g.Pix[yy*g.Stride+xx])
					n++
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / n)
		}
	}
	return out
}

func newDetector(t testing.TB, opts ...perception.Option) *perception.Detector {
	t.Helper()
	d, err := perception.NewDetector(yunetModel, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// landmarkModelPath is $LIVEGATE_LANDMARK_MODEL, or where Debian's libdlib-data puts it.
func landmarkModelPath() string {
	if p := os.Getenv("LIVEGATE_LANDMARK_MODEL"); p != "" {
		return p
	}
	return landmarks.DefaultModelPath
}

var (
	modelOnce sync.Once
	model     *landmarks.Model
	modelErr  error
)

// landmarkModel loads dlib's 68-point model once per test binary. A missing model is a
// failure, never a skip: `make test` installs it (Debian package libdlib-data).
func landmarkModel(t testing.TB) *landmarks.Model {
	t.Helper()
	modelOnce.Do(func() { model, modelErr = landmarks.Load(landmarkModelPath()) })
	if modelErr != nil {
		t.Fatalf("%v\nthe 68-point landmark model is needed: run `make test` (installs Debian's libdlib-data) or set LIVEGATE_LANDMARK_MODEL", modelErr)
	}
	return model
}
