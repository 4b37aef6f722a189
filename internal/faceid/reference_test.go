package faceid_test

import (
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/livegate/livegate/internal/faceid"
)

var (
	modelOnce sync.Once
	model     *faceid.Model
	modelErr  error
)

func loadModel(t testing.TB) *faceid.Model {
	t.Helper()
	modelOnce.Do(func() { model, modelErr = faceid.LoadDir("") })
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return model
}

func readChip(t testing.TB, name string) *image.RGBA {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "chips", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

// reference is testdata/reference.json, written by test/faceref/reference.mjs (make
// faceref): face-api 1.7.15 on tfjs's CPU backend.
type reference struct {
	FaceAPI    string               `json:"face_api"`
	TFJS       string               `json:"tfjs"`
	Backend    string               `json:"backend"`
	Embeddings map[string][]float64 `json:"embeddings"`
}

// TestEmbedMatchesReference: the Go network gives face-api's embeddings for the same
// chips, to float32 rounding (the scale layers are folded into the filters here, and the
// sums run in another order).
func TestEmbedMatchesReference(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if ref.FaceAPI != "1.7.15" || ref.Backend != "cpu" || len(ref.Embeddings) < 4 {
		t.Fatalf("reference.json: face-api %s on %s, %d embeddings", ref.FaceAPI, ref.Backend, len(ref.Embeddings))
	}
	m := loadModel(t)
	var worst, worstCos = 0.0, 1.0
	for name, want := range ref.Embeddings {
		got, err := m.Embed(readChip(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != faceid.Dims {
			t.Fatalf("%s: reference has %d values", name, len(want))
		}
		var dot, na, nb, maxAbs float64
		for i, w := range want {
			g := float64(got[i])
			maxAbs = max(maxAbs, math.Abs(g-w))
			dot += g * w
			na += g * g
			nb += w * w
		}
		cos := dot / math.Sqrt(na*nb)
		t.Logf("%s: max abs diff %.2e, cosine %.9f", name, maxAbs, cos)
		worst, worstCos = max(worst, maxAbs), min(worstCos, cos)
		if maxAbs > 1e-5 || cos < 0.999999 {
			t.Errorf("%s: embedding differs from face-api's: max abs diff %.2e, cosine %.9f", name, maxAbs, cos)
		}
	}
	t.Logf("worst over %d chips: max abs diff %.2e, cosine %.9f", len(ref.Embeddings), worst, worstCos)
}
