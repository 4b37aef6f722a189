package server

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception/footage"
)

// TestGLAIRClientMatch: the official client's faceBio.match({captured, stored}) against
// a running server: a facegen render of a photo's face turned and lit differently
// matches the photo, two people do not, and a blank picture, a picture of two people
// and bad files get GLAIR's codes and the API's errors.
func TestGLAIRClientMatch(t *testing.T) {
	write := tempWriter(t)
	encode := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	hirono, err := facegen.TestFace("mazie-hirono.jpg")
	if err != nil {
		t.Fatal(err)
	}
	obama, err := facegen.TestFace("portrait-obama-2012.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// The live face: Hirono's photo rendered turned 20° to the left, in dim light, as a
	// 640×480 webcam frame in colour.
	c := footage.Render(t, "", facegen.Params{Face: hirono, Script: "neutral 0.5s; HEAD_LEFT 20deg 1.5s", Seed: 1, Light: facegen.LightDark, NoSway: true, NoBlinks: true})
	frames, _, err := facegen.ReadY4M(c.Video)
	if err != nil {
		t.Fatal(err)
	}
	live := write("live.jpg", encode(frames[25]))
	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range blank.Pix {
		blank.Pix[i] = 120
	}
	var pb bytes.Buffer
	if err := png.Encode(&pb, blank); err != nil {
		t.Fatal(err)
	}
	blankPath := write("blank.png", pb.Bytes())
	two := write("two.jpg", encode(twoFaces(t, hirono, obama)))
	big := make([]byte, 5<<20+1)
	copy(big, pb.Bytes())
	type tc struct {
		Name     string `json:"name"`
		Captured string `json:"captured"`
		Stored   string `json:"stored"`
	}
	cases := []tc{
		{"same", live, hirono},
		{"different", live, obama},
		{"noFaceStored", live, blankPath},
		{"noFaceCaptured", blankPath, hirono},
		{"manyCaptured", two, hirono},
		{"notImage", write("note.txt", []byte("not a picture at all")), hirono},
		{"tooLarge", live, write("big.png", big)},
	}
	var r map[string]struct {
		OK   bool `json:"ok"`
		Body struct {
			Status       string `json:"status"`
			ErrorMessage string `json:"error_message"`
			Result       struct {
				MatchPercentage float64 `json:"match_percentage"`
				MatchStatus     string  `json:"match_status"`
				MatchStatusCode string  `json:"match_status_code"`
			} `json:"result"`
		} `json:"body"`
	}
	runGLAIRScript(t, "match.mjs", cases, &r)
	for name, want := range map[string]struct {
		ok             bool
		status, code   string
		pctLow, pctMax float64
		message        string
	}{
		"same":           {true, "success", "MATCH", 0.5, 1, ""},
		"different":      {true, "success", "NOT_MATCH", 0, 0.5, ""},
		"noFaceStored":   {true, "failed", "NO_FACE_STORED_IMG", 0, 0, ""},
		"noFaceCaptured": {true, "failed", "NO_FACE_CAPTURED_IMG", 0, 0, ""},
		"manyCaptured":   {true, "failed", "MANY_FACES_CAPTURED_IMG", 0, 0, ""},
		"notImage":       {false, "failed", "", 0, 0, "captured_image: image must be a JPEG or PNG picture"},
		"tooLarge":       {false, "failed", "", 0, 0, "stored_image must be at most 5242880 bytes"},
	} {
		got, ok := r[name]
		b := got.Body
		p := b.Result.MatchPercentage
		if !ok || got.OK != want.ok || b.Status != want.status || b.Result.MatchStatusCode != want.code ||
			p < want.pctLow || p > want.pctMax || b.ErrorMessage != want.message {
			t.Errorf("%s: got %+v; want %+v", name, got, want)
		}
		t.Logf("%s: %+v", name, b)
	}
}

// twoFaces is two photos scaled to 480 pixels high side by side.
func twoFaces(t *testing.T, a, b string) *image.RGBA {
	t.Helper()
	const h = 480
	var imgs []image.Image
	for _, p := range []string{a, b} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	w0 := imgs[0].Bounds().Dx() * h / imgs[0].Bounds().Dy()
	w1 := imgs[1].Bounds().Dx() * h / imgs[1].Bounds().Dy()
	out := image.NewRGBA(image.Rect(0, 0, w0+w1, h))
	x0 := 0
	for i, img := range imgs {
		w := []int{w0, w1}[i]
		sb := img.Bounds()
		scaled := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				scaled.Set(x, y, img.At(sb.Min.X+x*sb.Dx()/w, sb.Min.Y+y*sb.Dy()/h))
			}
		}
		draw.Draw(out, image.Rect(x0, 0, x0+w, h), scaled, image.Point{}, draw.Src)
		x0 += w
	}
	return out
}
