package gesture_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/perception/footage"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
)

var _ api.StillChecker = (*gesture.StillChecker)(nil)

// stillServer is the API over httptest with the real single-image checker.
func stillServer(t *testing.T) *httptest.Server {
	t.Helper()
	if _, err := os.Stat(yunetModel); err != nil {
		t.Fatalf("YuNet model: %v (it is committed under models/yunet)", err)
	}
	modelOnce.Do(func() { lmModel, lmErr = landmarks.Load(landmarks.DefaultModelPath) })
	if lmErr != nil {
		t.Fatalf("landmark model: %v; run `make test` (installs Debian's libdlib-data)", lmErr)
	}
	det, err := perception.NewDetector(yunetModel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { det.Close() })
	pred, err := gesture.NewModelPredictor(lmModel)
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	h, err := api.New(api.Config{
		Store: st, Keys: []api.Key{{Secret: "still-key-0123456789"}}, PublicURL: "https://live.example.com",
		Logger: slog.New(slog.DiscardHandler),
		Still:  gesture.NewStillChecker(det, pred),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type stillAnswer struct {
	code     int
	status   string
	gesture  string
	detected string
	message  string
}

func postImage(t *testing.T, srv *httptest.Server, img []byte, code string) stillAnswer {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("image", "blob")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(img)
	mw.WriteField("gesture-code", code)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/face/v1/active-liveness", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("x-api-key", "still-key-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status       string `json:"status"`
		ErrorMessage string `json:"error_message"`
		Result       struct {
			GestureStatus   string `json:"gesture_status"`
			DetectedGesture string `json:"detected_gesture"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return stillAnswer{resp.StatusCode, r.Status, r.Result.GestureStatus, r.Result.DetectedGesture, r.ErrorMessage}
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// clipFrame renders a clip of the default face into dir (see playClip) and
// returns frame i as a PNG.
func clipFrame(t *testing.T, dir, script string, i int) []byte {
	t.Helper()
	face, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	c := footage.Render(t, dir, facegen.Params{Face: face, Script: script, Seed: 1, NoSway: true, NoBlinks: true})
	return encodePNG(t, footage.Frame(t, c.Video, i))
}

func readPhoto(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "faces", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodePhoto(t *testing.T, name string) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(readPhoto(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// sideBySide puts two photos, scaled to the same height, next to each other.
func sideBySide(t *testing.T, a, b image.Image) []byte {
	t.Helper()
	const h = 480
	sa, sb := scaleTo(a, h), scaleTo(b, h)
	out := image.NewGray(image.Rect(0, 0, sa.Rect.Dx()+sb.Rect.Dx(), h))
	draw.Draw(out, sa.Rect, sa, image.Point{}, draw.Src)
	draw.Draw(out, sb.Rect.Add(image.Pt(sa.Rect.Dx(), 0)), sb, image.Point{}, draw.Src)
	return encodePNG(t, out)
}

func scaleTo(src image.Image, h int) *image.Gray {
	sb := src.Bounds()
	w := sb.Dx() * h / sb.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dst.Set(x, y, src.At(sb.Min.X+x*sb.Dx()/w, sb.Min.Y+y*sb.Dy()/h))
		}
	}
	return dst
}

type stillWant struct {
	code            int
	status, gesture string
	detected        string // "" to accept any
	message         string // a part of the error message
}

type stillCase struct {
	name    string
	image   func(t *testing.T) []byte
	gesture string
	want    stillWant
}

func TestStillEndpointOnRealPhotos(t *testing.T) {
	srv := stillServer(t)
	dir := t.TempDir()
	var cases []stillCase
	frontal := []string{"mazie-hirono.jpg", "portrait-obama-2012.jpg", "kamala-harris-2021.jpg", "victor-glover-2020.jpg", "grace-hopper-1984.jpg", "astronaut.png"}
	for _, p := range frontal {
		img := func(t *testing.T) []byte { return readPhoto(t, p) }
		cases = append(cases,
			stillCase{p + " eyes open", img, "HEAD_11", stillWant{200, "success", "MATCH", "HEAD_11", ""}},
			stillCase{p + " mouth closed", img, "HEAD_CLOSE_MOUTH", stillWant{200, "success", "MATCH", "HEAD_CLOSE_MOUTH", ""}},
			stillCase{p + " not turned left", img, "HEAD_LEFT", stillWant{200, "success", "NOT_MATCH", "", ""}},
		)
	}
	// facegen: 1 s neutral, then the gesture (full after 0.45 s for the
	// head, 0.1 s for the lids, 0.25 s for the mouth); frame 25 is 1.67 s.
	add := func(name, script string, frame int, gesture string, w stillWant) {
		cases = append(cases, stillCase{name, func(t *testing.T) []byte { return clipFrame(t, dir, script, frame) }, gesture, w})
	}
	add("facegen turned left", "neutral 1s; HEAD_LEFT 30deg 1.5s", 25, "HEAD_LEFT", stillWant{200, "success", "MATCH", "HEAD_LEFT", ""})
	add("facegen turned left, asked right", "neutral 1s; HEAD_LEFT 30deg 1.5s", 25, "HEAD_RIGHT", stillWant{200, "success", "NOT_MATCH", "HEAD_LEFT", ""})
	add("facegen turned right", "neutral 1s; HEAD_RIGHT 30deg 1.5s", 25, "HEAD_RIGHT", stillWant{200, "success", "MATCH", "HEAD_RIGHT", ""})
	add("facegen mouth open", "neutral 1s; HEAD_OPEN_MOUTH 1.5s", 25, "HEAD_OPEN_MOUTH", stillWant{200, "success", "MATCH", "HEAD_OPEN_MOUTH", ""})
	add("facegen mouth open, asked closed", "neutral 1s; HEAD_OPEN_MOUTH 1.5s", 25, "HEAD_CLOSE_MOUTH", stillWant{200, "success", "NOT_MATCH", "HEAD_OPEN_MOUTH", ""})
	add("facegen eyes closed", "neutral 1s; HEAD_00 1.5s", 25, "HEAD_00", stillWant{200, "success", "MATCH", "HEAD_00", ""})
	add("facegen eyes closed, asked open", "neutral 1s; HEAD_00 1.5s", 25, "HEAD_11", stillWant{200, "success", "NOT_MATCH", "HEAD_00", ""})

	blank := func(t *testing.T) []byte {
		g := image.NewGray(image.Rect(0, 0, 640, 480))
		for i := range g.Pix {
			g.Pix[i] = 128
		}
		return encodePNG(t, g)
	}
	cases = append(cases,
		stillCase{"blank", blank, "HEAD_11", stillWant{200, "failed", "face not detected", "", ""}},
		stillCase{"two faces", func(t *testing.T) []byte {
			return sideBySide(t, decodePhoto(t, "mazie-hirono.jpg"), decodePhoto(t, "portrait-obama-2012.jpg"))
		}, "HEAD_11", stillWant{200, "failed", "too many faces detected", "", ""}},
		stillCase{"unknown gesture", func(t *testing.T) []byte { return readPhoto(t, "mazie-hirono.jpg") }, "HEAD_SIDEWAYS", stillWant{400, "failed", "", "", "unknown gesture-code"}},
		stillCase{"not an image", func(t *testing.T) []byte { return []byte("GIF89a, not quite") }, "HEAD_11", stillWant{400, "failed", "", "", "JPEG or PNG"}},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := postImage(t, srv, tc.image(t), tc.gesture)
			w := tc.want
			if got.code != w.code || got.status != w.status || got.gesture != w.gesture ||
				(w.detected != "" && got.detected != w.detected) || (w.message != "" && !bytes.Contains([]byte(got.message), []byte(w.message))) {
				t.Errorf("%s: got %+v; want %+v", tc.gesture, got, w)
			}
		})
	}
}

func TestStillCheckerMeasuresAFrontalPhoto(t *testing.T) {
	modelOnce.Do(func() { lmModel, lmErr = landmarks.Load(landmarks.DefaultModelPath) })
	if lmErr != nil {
		t.Fatalf("landmark model: %v; run `make test`", lmErr)
	}
	det, err := perception.NewDetector(yunetModel)
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	pred, err := gesture.NewModelPredictor(lmModel)
	if err != nil {
		t.Fatal(err)
	}
	c := gesture.NewStillChecker(det, pred)
	m, err := c.Measure(context.Background(), decodePhoto(t, "mazie-hirono.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	o := m.Observation
	if m.Faces != 1 || m.ClosedLeft || m.ClosedRight || o.Mouth > 0.2 || o.Yaw > 15 || o.Yaw < -15 {
		t.Errorf("got %d faces, closed %v/%v, mouth %.2f, yaw %.1f; want one frontal face, eyes open, mouth closed",
			m.Faces, m.ClosedLeft, m.ClosedRight, o.Mouth, o.Yaw)
	}
	if _, _, err := c.CheckStill(context.Background(), image.NewGray(image.Rect(0, 0, 8, 8)), session.Gesture("NOPE")); err == nil {
		t.Error("unknown gesture: no error")
	}
	// A lazy checker whose models fail to load fails every check.
	bad := gesture.NewLazyStillChecker(func() (gesture.FaceDetector, gesture.LandmarkPredictor, error) {
		return nil, nil, os.ErrNotExist
	})
	if _, _, err := bad.CheckStill(context.Background(), image.NewGray(image.Rect(0, 0, 8, 8)), session.HeadLeft); err == nil {
		t.Error("failed load: no error")
	}
}
