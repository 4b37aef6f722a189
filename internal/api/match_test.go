package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session/memstore"
)

// fakeFaces answers by the photo's width: the number of faces and an embedding whose
// first value is the width/100, so two photos' distance is their widths' difference/100.
type fakeFaces struct {
	mu    sync.Mutex
	faces map[int]int // width → faces (default 1)
	err   error
	seen  []int
}

var _ api.FaceEmbedder = (*fakeFaces)(nil)

func (f *fakeFaces) EmbedFace(_ context.Context, img image.Image) (int, faceid.Embedding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := img.Bounds().Dx()
	f.seen = append(f.seen, w)
	n, ok := f.faces[w]
	if !ok {
		n = 1
	}
	var e faceid.Embedding
	if n == 1 {
		e[0] = float32(w) / 100
	}
	return n, e, f.err
}

func matchHandler(t *testing.T, faces api.FaceEmbedder, threshold float64) http.Handler {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	cfg := api.Config{Store: st, Keys: []api.Key{{Secret: keyA}}, PublicURL: public, Faces: faces, MatchThreshold: threshold}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return checked(t, httpx.Middleware(h, slog.New(slog.DiscardHandler), httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic))
}

type matchReply struct {
	Status       string `json:"status"`
	ErrorMessage string `json:"error_message"`
	Result       *struct {
		MatchPercentage *float64 `json:"match_percentage"`
		MatchStatus     string   `json:"match_status"`
		MatchStatusCode string   `json:"match_status_code"`
	} `json:"result"`
}

func postMatch(t *testing.T, h http.Handler, body *bytes.Buffer, ctype string) (int, matchReply) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/face/v1/match", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("x-api-key", keyA)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r matchReply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("reply %q is not JSON: %v", rec.Body.String(), err)
	}
	return rec.Code, r
}

// TestMatchAnswersInGLAIRShape: every match_status_code, with the status and percentage
// GLAIR's answer has. Photos are told apart by width (see fakeFaces).
func TestMatchAnswersInGLAIRShape(t *testing.T) {
	for _, tc := range []struct {
		name            string
		capW, stoW      int
		faces           map[int]int
		status, code    string
		pctLow, pctHigh float64
	}{
		{"same", 60, 80, nil, "success", "MATCH", 0.9, 1},       // distance 0.2
		{"close", 60, 105, nil, "success", "MATCH", 0.6, 0.7},   // 0.45: 1/(1+e^-0.6)
		{"other", 60, 150, nil, "success", "NOT_MATCH", 0, 0.1}, // 0.9
		{"no face stored", 60, 70, map[int]int{70: 0}, "failed", "NO_FACE_STORED_IMG", 0, 0},
		{"no face captured", 60, 70, map[int]int{60: 0}, "failed", "NO_FACE_CAPTURED_IMG", 0, 0},
		{"many stored", 60, 70, map[int]int{70: 3}, "failed", "MANY_FACES_STORED_IMG", 0, 0},
		{"many captured", 60, 70, map[int]int{60: 2}, "failed", "MANY_FACES_CAPTURED_IMG", 0, 0},
		{"neither has a face", 60, 70, map[int]int{60: 0, 70: 0}, "failed", "NO_FACE_STORED_IMG", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeFaces{faces: tc.faces}
			h := matchHandler(t, f, 0)
			body, ct := multipartBody(t, part{"stored_image", encodePNG(t, tc.stoW, 40), true}, part{"captured_image", encodeJPEG(t, tc.capW, 40), true})
			code, r := postMatch(t, h, body, ct)
			if code != http.StatusOK || r.Result == nil || r.Result.MatchPercentage == nil {
				t.Fatalf("got %d %+v; want 200 with a result", code, r)
			}
			p := *r.Result.MatchPercentage
			if r.Status != tc.status || r.Result.MatchStatusCode != tc.code || p < tc.pctLow || p > tc.pctHigh || r.Result.MatchStatus == "" {
				t.Errorf("got %s %+v (%.5f); want %s %s in [%.2f, %.2f]", r.Status, r.Result, p, tc.status, tc.code, tc.pctLow, tc.pctHigh)
			}
			if len(f.seen) != 2 {
				t.Errorf("embedder saw %v; want both photos", f.seen)
			}
		})
	}
}

// TestMatchThresholdIsConfigured: the same pair matches under a looser threshold only.
func TestMatchThresholdIsConfigured(t *testing.T) {
	for _, tc := range []struct {
		threshold float64
		code      string
	}{{0, "NOT_MATCH"}, {0.8, "MATCH"}} {
		h := matchHandler(t, &fakeFaces{}, tc.threshold)
		body, ct := multipartBody(t, part{"captured_image", encodePNG(t, 50, 40), true}, part{"stored_image", encodePNG(t, 120, 40), true})
		if _, r := postMatch(t, h, body, ct); r.Result == nil || r.Result.MatchStatusCode != tc.code {
			t.Errorf("threshold %v: got %+v; want %s", tc.threshold, r, tc.code)
		}
	}
	st := memstore.New()
	defer st.Close()
	if _, err := api.New(api.Config{Store: st, Keys: []api.Key{{Secret: keyA}}, PublicURL: public, MatchThreshold: -1}); err == nil {
		t.Error("negative threshold accepted")
	}
}

func TestMatchRejectsBadInput(t *testing.T) {
	good := func() []byte { return encodePNG(t, 40, 40) }
	big := make([]byte, api.MaxImageBytes+1)
	copy(big, good())
	for _, tc := range []struct {
		name  string
		parts []part
		code  int
	}{
		{"no stored", []part{{"captured_image", good(), true}}, 400},
		{"no captured", []part{{"stored_image", good(), true}}, 400},
		{"empty", []part{{"captured_image", nil, true}, {"stored_image", good(), true}}, 400},
		{"twice", []part{{"captured_image", good(), true}, {"captured_image", good(), true}, {"stored_image", good(), true}}, 400},
		{"not an image", []part{{"captured_image", []byte("hello, world"), true}, {"stored_image", good(), true}}, 400},
		{"too large", []part{{"captured_image", good(), true}, {"stored_image", big, true}}, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeFaces{}
			body, ct := multipartBody(t, tc.parts...)
			code, r := postMatch(t, matchHandler(t, f, 0), body, ct)
			if code != tc.code || r.Status != "failed" || r.ErrorMessage == "" || (tc.name == "not an image" && r.ErrorMessage != "captured_image: image must be a JPEG or PNG picture") {
				t.Errorf("got %d %+v; want %d in the error format", code, r, tc.code)
			}
			if len(f.seen) != 0 {
				t.Errorf("embedder ran on bad input: %v", f.seen)
			}
		})
	}
	code, r := postMatch(t, matchHandler(t, &fakeFaces{}, 0), bytes.NewBufferString(`{"captured_image":"x"}`), "application/json")
	if code != 400 || r.Status != "failed" {
		t.Errorf("JSON body: got %d %+v; want 400", code, r)
	}
}

func TestMatchUnavailableAndFailing(t *testing.T) {
	body, ct := multipartBody(t, part{"captured_image", encodePNG(t, 40, 40), true}, part{"stored_image", encodePNG(t, 40, 40), true})
	if code, r := postMatch(t, matchHandler(t, nil, 0), body, ct); code != http.StatusServiceUnavailable || r.Status != "failed" {
		t.Errorf("no embedder: got %d %+v; want 503", code, r)
	}
	body, ct = multipartBody(t, part{"captured_image", encodePNG(t, 40, 40), true}, part{"stored_image", encodePNG(t, 40, 40), true})
	code, r := postMatch(t, matchHandler(t, &fakeFaces{err: errors.New("model exploded")}, 0), body, ct)
	if code != http.StatusInternalServerError || r.ErrorMessage != "internal server error" {
		t.Errorf("failing embedder: got %d %+v; want 500 internal server error", code, r)
	}
}
