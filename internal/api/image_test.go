package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
)

// fakeStill answers a fixed status and records what it was asked.
type fakeStill struct {
	mu       sync.Mutex
	status   session.GestureStatus
	detected session.Gesture
	err      error
	calls    int
	gesture  session.Gesture
	size     image.Point
}

var _ api.StillChecker = (*fakeStill)(nil)

func (f *fakeStill) CheckStill(_ context.Context, img image.Image, g session.Gesture) (session.GestureStatus, session.Gesture, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.gesture, f.size = g, img.Bounds().Size()
	return f.status, f.detected, f.err
}

func stillHandler(t *testing.T, still api.StillChecker) http.Handler {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	cfg := api.Config{Store: st, Keys: []api.Key{{Secret: keyA}}, PublicURL: public}
	if still != nil {
		cfg.Still = still
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return checked(t, httpx.Middleware(h, slog.New(slog.DiscardHandler), httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic))
}

// part is one field of a multipart body; file parts are sent as the npm
// client sends them (a Blob named "blob", application/octet-stream).
type part struct {
	name string
	data []byte
	file bool
}

func multipartBody(t *testing.T, parts ...part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.file {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="blob"`)
			h.Set("Content-Type", "application/octet-stream")
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"`)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func encodePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type stillReply struct {
	Status       string `json:"status"`
	ErrorMessage string `json:"error_message"`
	Result       *struct {
		GestureStatus   string `json:"gesture_status"`
		DetectedGesture string `json:"detected_gesture"`
	} `json:"result"`
}

func postStill(t *testing.T, h http.Handler, body *bytes.Buffer, ctype, key string) (int, stillReply, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/face/v1/active-liveness", body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r stillReply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("reply %q is not JSON: %v", rec.Body.String(), err)
	}
	return rec.Code, r, rec.Header()
}

func TestActiveLivenessAnswersInGLAIRShape(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     session.GestureStatus
		detected   session.Gesture
		wantStatus string
	}{
		{"match", session.GestureMatch, session.HeadLeft, "success"},
		{"not match", session.GestureNotMatch, session.HeadEyesOpen, "success"},
		{"no face", session.GestureNoFace, "", "failed"},
		{"too many faces", session.GestureTooManyFaces, "", "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStill{status: tc.status, detected: tc.detected}
			h := stillHandler(t, f)
			body, ct := multipartBody(t, part{"image", encodeJPEG(t, 64, 48), true}, part{"gesture-code", []byte("HEAD_LEFT"), false})
			code, r, hd := postStill(t, h, body, ct, keyA)
			if code != http.StatusOK {
				t.Fatalf("got %d %+v; want 200", code, r)
			}
			if r.Status != tc.wantStatus || r.Result == nil || r.Result.GestureStatus != string(tc.status) || r.Result.DetectedGesture != string(tc.detected) {
				t.Errorf("got %+v %+v; want status %s, result %s/%s", r, r.Result, tc.wantStatus, tc.status, tc.detected)
			}
			if f.gesture != session.HeadLeft || f.size != image.Pt(64, 48) {
				t.Errorf("checker got %s and a %v image; want HEAD_LEFT and 64×48", f.gesture, f.size)
			}
			if hd.Get("Request-Id") == "" {
				t.Error("no Request-Id header")
			}
		})
	}
}

func TestActiveLivenessTakesPNGAndFieldsInAnyOrder(t *testing.T) {
	f := &fakeStill{status: session.GestureMatch, detected: session.HeadEyesOpen}
	h := stillHandler(t, f)
	body, ct := multipartBody(t, part{"gesture-code", []byte("HEAD_11"), false}, part{"note", []byte("ignored"), false}, part{"image", encodePNG(t, 30, 20), true})
	code, r, _ := postStill(t, h, body, ct, keyA)
	if code != http.StatusOK || r.Result == nil || r.Result.GestureStatus != "MATCH" {
		t.Fatalf("got %d %+v; want 200 MATCH", code, r)
	}
	if f.gesture != session.HeadEyesOpen || f.size != image.Pt(30, 20) {
		t.Errorf("checker got %s and a %v image; want HEAD_11 and 30×20", f.gesture, f.size)
	}
}

func TestActiveLivenessRejectsBadInput(t *testing.T) {
	jpg := encodeJPEG(t, 64, 48)
	big := make([]byte, api.MaxImageBytes+1)
	copy(big, jpg)
	truncated := jpg[:len(jpg)/3]
	for _, tc := range []struct {
		name  string
		parts []part
		ctype string // overrides the multipart content type
		key   string
		code  int
		msg   string
	}{
		{"no key", []part{{"image", jpg, true}, {"gesture-code", []byte("HEAD_LEFT"), false}}, "", "nope", 401, "API key"},
		{"no image", []part{{"gesture-code", []byte("HEAD_LEFT"), false}}, "", keyA, 400, "image is required"},
		{"empty image", []part{{"image", nil, true}, {"gesture-code", []byte("HEAD_LEFT"), false}}, "", keyA, 400, "image is empty"},
		{"not an image", []part{{"image", []byte("hello, this is text and not a picture"), true}, {"gesture-code", []byte("HEAD_LEFT"), false}}, "", keyA, 400, "JPEG or PNG"},
		{"gif", []part{{"image", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), true}, {"gesture-code", []byte("HEAD_LEFT"), false}}, "", keyA, 400, "JPEG or PNG"},
		{"truncated jpeg", []part{{"image", truncated, true}, {"gesture-code", []byte("HEAD_LEFT"), false}}, "", keyA, 400, "cannot be decoded"},
		{"no gesture code", []part{{"image", jpg, true}}, "", keyA, 400, "gesture-code is required"},
		{"unknown gesture code", []part{{"image", jpg, true}, {"gesture-code", []byte("HEAD_SIDEWAYS"), false}}, "", keyA, 400, "unknown gesture-code"},
		{"hand gesture", []part{{"image", jpg, true}, {"gesture-code", []byte("HAND_00000"), false}}, "", keyA, 400, "unknown gesture-code"},
		{"two images", []part{{"image", jpg, true}, {"image", jpg, true}, {"gesture-code", []byte("HEAD_LEFT"), false}}, "", keyA, 400, "only one image"},
		{"json body", []part{{"gesture-code", []byte("HEAD_LEFT"), false}}, "application/json", keyA, 400, "multipart/form-data"},
		{"too large", []part{{"image", big, true}, {"gesture-code", []byte("HEAD_LEFT"), false}}, "", keyA, 413, "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStill{status: session.GestureMatch}
			h := stillHandler(t, f)
			body, ct := multipartBody(t, tc.parts...)
			if tc.ctype != "" {
				ct = tc.ctype
			}
			code, r, _ := postStill(t, h, body, ct, tc.key)
			if code != tc.code || r.Status != "failed" || !strings.Contains(r.ErrorMessage, tc.msg) {
				t.Errorf("got %d %+v; want %d failed with %q", code, r, tc.code, tc.msg)
			}
			if f.calls != 0 {
				t.Errorf("checker called %d times; want none", f.calls)
			}
		})
	}
}

func TestActiveLivenessBodyOverTheLimitIs413(t *testing.T) {
	// The image part alone is under the limit, but junk fields push the
	// body past the image limit plus the form's allowance.
	h := stillHandler(t, &fakeStill{status: session.GestureMatch})
	junk := bytes.Repeat([]byte("x"), api.MaxImageBytes)
	body, ct := multipartBody(t, part{"pad", junk, false}, part{"pad2", junk[:api.MaxBodyBytes+10], false},
		part{"image", encodeJPEG(t, 8, 8), true}, part{"gesture-code", []byte("HEAD_LEFT"), false})
	code, r, _ := postStill(t, h, body, ct, keyA)
	if code != http.StatusRequestEntityTooLarge || r.Status != "failed" {
		t.Errorf("got %d %+v; want 413 failed", code, r)
	}
}

func TestActiveLivenessCheckerFailureIs500(t *testing.T) {
	h := stillHandler(t, &fakeStill{err: errors.New("model exploded")})
	body, ct := multipartBody(t, part{"image", encodeJPEG(t, 16, 16), true}, part{"gesture-code", []byte("HEAD_00"), false})
	code, r, _ := postStill(t, h, body, ct, keyA)
	if code != http.StatusInternalServerError || r.Status != "failed" || strings.Contains(r.ErrorMessage, "exploded") {
		t.Errorf("got %d %+v; want 500 failed without the cause", code, r)
	}
}

func TestActiveLivenessWithoutCheckerIs503(t *testing.T) {
	h := stillHandler(t, nil)
	body, ct := multipartBody(t, part{"image", encodeJPEG(t, 16, 16), true}, part{"gesture-code", []byte("HEAD_00"), false})
	code, r, _ := postStill(t, h, body, ct, keyA)
	if code != http.StatusServiceUnavailable || r.Status != "failed" {
		t.Errorf("got %d %+v; want 503 failed", code, r)
	}
}
