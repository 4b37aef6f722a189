package api_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session/memstore"
)

// fakePassive answers a fixed face count and real-probability and records
// what it was given.
type fakePassive struct {
	mu    sync.Mutex
	faces int
	real  float64
	err   error
	calls int
	size  image.Point
}

var _ api.PassiveChecker = (*fakePassive)(nil)

func (f *fakePassive) CheckPassive(_ context.Context, img image.Image) (int, float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.size = img.Bounds().Size()
	return f.faces, f.real, f.err
}

func passiveHandler(t *testing.T, pc api.PassiveChecker, bands api.SpoofBands) http.Handler {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	cfg := api.Config{Store: st, Keys: []api.Key{{Secret: keyA}}, PublicURL: public, SpoofBands: bands}
	if pc != nil {
		cfg.Passive = pc
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return checked(t, httpx.Middleware(h, slog.New(slog.DiscardHandler), httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic))
}

func postTo(t *testing.T, h http.Handler, path string, body *bytes.Buffer, ctype string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("x-api-key", keyA)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("reply %q is not JSON: %v", rec.Body.String(), err)
	}
	return rec.Code, r
}

// TestPassiveLivenessAnswersInGLAIRShape: GLAIR's status and result for
// each band and for no face and too many faces, plus livegate's score,
// attack type and breakdown when one face was judged.
func TestPassiveLivenessAnswersInGLAIRShape(t *testing.T) {
	for _, tc := range []struct {
		name        string
		faces       int
		real        float64
		wantStatus  string
		wantSpoof   float64
		wantBand    string
		wantScore   float64 // -1: no extensions
		wantAttack  any
		wantSignals bool
	}{
		{"real face", 1, 0.97389, "success", 0.02611, "LOW", 97.4, nil, true},
		{"at the moderate cut", 1, 0.5, "success", 0.5, "LOW", 50, nil, true},
		{"moderate", 1, 0.4322, "success", 0.5678, "MODERATE", 43.2, "presentation", true},
		{"spoof", 1, 0.00232, "success", 0.99768, "HIGH", 0.2, "presentation", true},
		{"out of range is clamped", 1, 1.7, "success", 0, "LOW", 100, nil, true},
		{"no face", 0, 0, "failed", 1, "face not detected", -1, nil, false},
		{"too many faces", 3, 0.9, "failed", 1, "too many faces detected", -1, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakePassive{faces: tc.faces, real: tc.real}
			h := passiveHandler(t, f, api.SpoofBands{})
			body, ct := multipartBody(t, part{"image", encodeJPEG(t, 64, 48), true})
			code, r := postTo(t, h, "/face/v1/passive-liveness", body, ct)
			if code != http.StatusOK {
				t.Fatalf("got %d %v; want 200", code, r)
			}
			res, _ := r["result"].(map[string]any)
			if r["status"] != tc.wantStatus || res["spoof_percentage"] != tc.wantSpoof || res["status"] != tc.wantBand {
				t.Errorf("got %v; want status %s, spoof_percentage %v, result status %s", r, tc.wantStatus, tc.wantSpoof, tc.wantBand)
			}
			score, hasScore := r["liveness_score"]
			attack, hasAttack := r["attack_type"]
			sigs, _ := r["signals"].([]any)
			if tc.wantScore < 0 {
				if hasScore || hasAttack || sigs != nil || len(r) != 2 {
					t.Errorf("got %v; want only status and result", r)
				}
			} else {
				if !hasScore || score != tc.wantScore || !hasAttack || attack != tc.wantAttack {
					t.Errorf("liveness_score %v (present %v), attack_type %v (present %v); want %v, %v", score, hasScore, attack, hasAttack, tc.wantScore, tc.wantAttack)
				}
				if len(sigs) == 0 || sigs[0].(map[string]any)["name"] != "model" {
					t.Errorf("signals %v; want the model signal first", sigs)
				}
			}
			if f.calls != 1 || f.size != image.Pt(64, 48) {
				t.Errorf("checker called %d times with a %v image; want once with 64×48", f.calls, f.size)
			}
		})
	}
}

func TestPassiveLivenessBandsAreConfigurable(t *testing.T) {
	f := &fakePassive{faces: 1, real: 0.75}
	for _, tc := range []struct {
		bands api.SpoofBands
		want  string
	}{
		{api.SpoofBands{High: 0.8, Moderate: 0.5}, "LOW"},
		{api.SpoofBands{High: 0.5, Moderate: 0.2}, "MODERATE"},
		{api.SpoofBands{High: 0.2, Moderate: 0.1}, "HIGH"},
	} {
		h := passiveHandler(t, f, tc.bands)
		body, ct := multipartBody(t, part{"image", encodePNG(t, 30, 20), true})
		_, r := postTo(t, h, "/face/v1/passive-liveness", body, ct)
		if got := r["result"].(map[string]any)["status"]; got != tc.want {
			t.Errorf("bands %+v, spoof 0.25: status %v; want %s", tc.bands, got, tc.want)
		}
	}
	for _, bad := range []api.SpoofBands{{High: 0.4, Moderate: 0.5}, {High: 1, Moderate: 0.5}, {High: 0.5, Moderate: -0.1}} {
		_, err := api.New(api.Config{Store: memstore.New(), Keys: []api.Key{{Secret: keyA}}, PublicURL: public, SpoofBands: bad})
		if err == nil {
			t.Errorf("bands %+v accepted", bad)
		}
	}
}

func TestPassiveLivenessRejectsBadInput(t *testing.T) {
	jpg := encodeJPEG(t, 64, 48)
	big := make([]byte, api.MaxImageBytes+1)
	copy(big, jpg)
	for _, tc := range []struct {
		name  string
		parts []part
		ctype string
		code  int
		msg   string
	}{
		{"no image", []part{{"note", []byte("x"), false}}, "", 400, "image is required"},
		{"empty image", []part{{"image", nil, true}}, "", 400, "image is empty"},
		{"not an image", []part{{"image", []byte("hello, this is text and not a picture"), true}}, "", 400, "JPEG or PNG"},
		{"truncated jpeg", []part{{"image", jpg[:len(jpg)/3], true}}, "", 400, "cannot be decoded"},
		{"two images", []part{{"image", jpg, true}, {"image", jpg, true}}, "", 400, "only one image"},
		{"json body", []part{{"image", jpg, true}}, "application/json", 400, "multipart/form-data with image"},
		{"too large", []part{{"image", big, true}}, "", 413, "at most"},
		{"memory bomb", []part{{"image", pngHeaderOnly(t, 6300, 6300, 16, 6), true}}, "", 400, "at most 4096×4096"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakePassive{faces: 1, real: 0.9}
			h := passiveHandler(t, f, api.SpoofBands{})
			body, ct := multipartBody(t, tc.parts...)
			if tc.ctype != "" {
				ct = tc.ctype
			}
			code, r := postTo(t, h, "/face/v1/passive-liveness", body, ct)
			if msg, _ := r["error_message"].(string); code != tc.code || r["status"] != "failed" || !strings.Contains(msg, tc.msg) {
				t.Errorf("got %d %v; want %d failed with %q", code, r, tc.code, tc.msg)
			}
			if f.calls != 0 {
				t.Errorf("checker called %d times; want none", f.calls)
			}
		})
	}
}

func TestPassiveLivenessCheckerFailureIs500AndNoCheckerIs503(t *testing.T) {
	h := passiveHandler(t, &fakePassive{err: errors.New("model exploded")}, api.SpoofBands{})
	body, ct := multipartBody(t, part{"image", encodeJPEG(t, 16, 16), true})
	if code, r := postTo(t, h, "/face/v1/passive-liveness", body, ct); code != 500 || strings.Contains(r["error_message"].(string), "exploded") {
		t.Errorf("checker error: got %d %v; want 500 without the cause", code, r)
	}
	h = passiveHandler(t, nil, api.SpoofBands{})
	body, ct = multipartBody(t, part{"image", encodeJPEG(t, 16, 16), true})
	if code, r := postTo(t, h, "/face/v1/passive-liveness", body, ct); code != 503 || r["status"] != "failed" {
		t.Errorf("no checker: got %d %v; want 503 failed", code, r)
	}
}

// pngHeaderOnly is a PNG that declares a w×h picture of the given bit depth
// and colour type but whose image data is a few bytes of an unfinished
// zlib stream: decoding it fails at once with "cannot be decoded", so a
// refusal that names the size proves the size was refused before any
// decoding (and before the hundreds of megabytes a real file of that size
// would claim).
func pngHeaderOnly(t *testing.T, w, h int, depth, colourType byte) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = depth, colourType
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x01}) // a zlib header and nothing more
	chunk("IEND", nil)
	return b.Bytes()
}

// TestImageLimitsAreCheckedBeforeDecoding: both single-image endpoints
// refuse, with 400 in the API's format and never 500, images whose header
// declares more than the engine takes or more memory than the budget; the
// header-only PNGs would fail to decode, so the size message proves the
// refusal came first. A small PNG of the same header decodes as before.
func TestImageLimitsAreCheckedBeforeDecoding(t *testing.T) {
	for _, tc := range []struct {
		name              string
		w, h              int
		depth, colourType byte
		msg               string
	}{
		// Issue 14's bomb: 6300×6300 16-bit RGBA, 318 MB decoded.
		{"6300×6300 16-bit RGBA", 6300, 6300, 16, 6, "at most 4096×4096"},
		{"wider than the engine takes", 5000, 10, 8, 2, "at most 4096×4096"},
		{"4000×4000 16-bit RGBA", 4000, 4000, 16, 6, "at most 64 MB"},
		{"small but unfinished", 64, 48, 8, 2, "cannot be decoded"},
	} {
		for _, ep := range []struct {
			path  string
			parts func([]byte) []part
		}{
			{"/face/v1/passive-liveness", func(b []byte) []part { return []part{{"image", b, true}} }},
			{"/face/v1/active-liveness", func(b []byte) []part {
				return []part{{"image", b, true}, {"gesture-code", []byte("HEAD_11"), false}}
			}},
		} {
			f := &fakePassive{faces: 1, real: 0.9}
			st := &fakeStill{}
			mst := memstore.New()
			t.Cleanup(func() { _ = mst.Close() })
			hh, err := api.New(api.Config{Store: mst, Keys: []api.Key{{Secret: keyA}}, PublicURL: public, Passive: f, Still: st})
			if err != nil {
				t.Fatal(err)
			}
			h := checked(t, httpx.Middleware(hh, slog.New(slog.DiscardHandler), httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic))
			body, ct := multipartBody(t, ep.parts(pngHeaderOnly(t, tc.w, tc.h, tc.depth, tc.colourType))...)
			code, r := postTo(t, h, ep.path, body, ct)
			if msg, _ := r["error_message"].(string); code != 400 || r["status"] != "failed" || !strings.Contains(msg, tc.msg) {
				t.Errorf("%s %s: got %d %v; want 400 failed with %q", ep.path, tc.name, code, r, tc.msg)
			}
			if f.calls+st.calls != 0 {
				t.Errorf("%s %s: a checker was called", ep.path, tc.name)
			}
		}
	}
}
