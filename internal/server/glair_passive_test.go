package server

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/draw"
	"os"
	"testing"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception"
)

// TestGLAIRClientPassiveLiveness: the official client's
// faceBio.passiveLiveness({image}) against a running server, with real
// photos (one face: success, LOW), two portraits side by side, a blank
// picture, and bad input (not an image, a PNG that declares 6300×6300
// 16-bit RGBA, a file over the size limit).
func TestGLAIRClientPassiveLiveness(t *testing.T) {
	write := tempWriter(t)
	pngOf := func(img image.Image) []byte { return pngBytes(t, img) }
	face := func(name string) string {
		p, err := facegen.TestFace(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	decode := func(p string) image.Image {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, _, err := image.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	a, b := decode(face("astronaut.png")), decode(face("grace-hopper-1984.jpg"))
	pair := image.NewRGBA(image.Rect(0, 0, 1024, 606))
	draw.Draw(pair, image.Rect(0, 0, 512, 512), a, a.Bounds().Min, draw.Src)
	draw.Draw(pair, image.Rect(512, 0, 1024, 606), b, b.Bounds().Min, draw.Src)
	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range blank.Pix {
		blank.Pix[i] = 120
	}
	big := make([]byte, api.MaxImageBytes+1)
	copy(big, pngOf(blank))
	type tc struct {
		Name  string `json:"name"`
		Image string `json:"image"`
	}
	cases := []tc{
		{"jpeg", face("kamala-harris-2021.jpg")},
		{"png", face("astronaut.png")},
		{"twoFaces", write("pair.png", pngOf(pair))},
		{"blank", write("blank.png", pngOf(blank))},
		{"notImage", write("note.txt", []byte("not a picture at all"))},
		{"bomb", write("bomb.png", pngHeader6300())},
		{"tooLarge", write("big.png", big)},
	}
	var r map[string]struct {
		OK   bool `json:"ok"`
		Body struct {
			Status       string `json:"status"`
			ErrorMessage string `json:"error_message"`
			Result       struct {
				SpoofPercentage *float64 `json:"spoof_percentage"`
				Status          string   `json:"status"`
			} `json:"result"`
			LivenessScore *float64 `json:"liveness_score"`
			AttackType    *string  `json:"attack_type"`
		} `json:"body"`
	}
	runGLAIRScript(t, "passive.mjs", cases, &r)
	for name, want := range map[string]struct {
		ok             bool
		status, result string
		maxSpoof       float64 // -1: no result
		message        string
	}{
		"jpeg":     {true, "success", "LOW", api.DefaultSpoofBands.Moderate, ""},
		"png":      {true, "success", "LOW", api.DefaultSpoofBands.Moderate, ""},
		"twoFaces": {true, "failed", "too many faces detected", 1, ""},
		"blank":    {true, "failed", "face not detected", 1, ""},
		"notImage": {false, "failed", "", -1, "image must be a JPEG or PNG picture"},
		"bomb":     {false, "failed", "", -1, "image is 6300×6300 pixels; it must be at most 4096×4096"},
		"tooLarge": {false, "failed", "", -1, "image must be at most 5242880 bytes"},
	} {
		got, ok := r[name]
		b := got.Body
		if !ok || got.OK != want.ok || b.Status != want.status || b.Result.Status != want.result || b.ErrorMessage != want.message {
			t.Errorf("%s: got %+v; want %+v", name, got, want)
			continue
		}
		switch {
		case want.maxSpoof < 0:
			if b.Result.SpoofPercentage != nil {
				t.Errorf("%s: an error with a spoof_percentage", name)
			}
		case b.Result.SpoofPercentage == nil || *b.Result.SpoofPercentage > want.maxSpoof:
			t.Errorf("%s: spoof_percentage %v; want at most %v", name, b.Result.SpoofPercentage, want.maxSpoof)
		case want.status == "success" && (b.LivenessScore == nil || *b.LivenessScore < 50 || b.AttackType != nil):
			t.Errorf("%s: liveness_score %v attack_type %v; want a passing score and null", name, b.LivenessScore, b.AttackType)
		}
	}
}

// pngHeader6300 is issue 14's memory bomb reduced to its header: a PNG
// declaring 6300×6300 16-bit RGBA (318 MB decoded) with no image data.
func pngHeader6300() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 6300)
	binary.BigEndian.PutUint32(ihdr[4:], 6300)
	ihdr[8], ihdr[9] = 16, 6
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// TestImageSideIsTheEngines: the API refuses, before decoding, exactly
// what the face detector would refuse.
func TestImageSideIsTheEngines(t *testing.T) {
	if got, want := image.Pt(api.MaxImageSide, api.MaxImageSide), perception.MaxInputSize; got != want {
		t.Errorf("api.MaxImageSide gives %v; perception.MaxInputSize is %v", got, want)
	}
}
