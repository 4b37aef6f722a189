package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
)

// fakeRefs answers a fixed verdict and counts its calls.
type fakeRefs struct {
	mu    sync.Mutex
	ref   faceid.Reference
	err   error
	calls int
}

func (f *fakeRefs) CheckReference(context.Context, image.Image) (faceid.Reference, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.ref, f.err
}

// dataKeys seals the references of verifyHandler's sessions.
var dataKeys = sealed.Ephemeral()

func verifyHandler(t *testing.T, refs api.ReferenceChecker) (http.Handler, *memstore.Store) {
	return verifyHandlerKeys(t, refs, dataKeys)
}

func verifyHandlerKeys(t *testing.T, refs api.ReferenceChecker, keys *sealed.Keyring) (http.Handler, *memstore.Store) {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	cfg := api.Config{Store: st, Keys: []api.Key{{Secret: keyA}}, PublicURL: public, DataKeys: keys}
	if refs != nil {
		cfg.References = refs
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return checked(t, httpx.Middleware(h, slog.New(slog.DiscardHandler), httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic)), st
}

func postJSON(t *testing.T, h http.Handler, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", keyA)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var obj map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &obj); err != nil {
		t.Fatalf("reply %q is not JSON: %v", rec.Body.String(), err)
	}
	return rec.Code, obj
}

func withVerify(b64 string) string {
	return `{"success_url":"https://a.example/","verify_image":"` + b64 + `"}`
}

var goodRef = faceid.Reference{Faces: 1, Quality: faceid.QualityMedium, Embedding: faceid.Embedding{0.25, -0.5}}

// TestCreateWithVerifyImage: a usable reference is kept with the session (embedding and
// grade, never the image) and its grade shown; the embedding is never shown, and the
// store holds it only sealed for that session.
func TestCreateWithVerifyImage(t *testing.T) {
	for _, path := range []string{"/face/v1/active-liveness-sessions", "/face/v1/passive-liveness-sessions"} {
		refs := &fakeRefs{ref: goodRef}
		h, st := verifyHandler(t, refs)
		for _, img := range []string{
			base64.StdEncoding.EncodeToString(encodeJPEG(t, 64, 48)),
			"data:image/png;base64," + base64.StdEncoding.EncodeToString(encodePNG(t, 64, 48)),
		} {
			code, obj := postJSON(t, h, path, withVerify(img))
			if code != 200 || obj["quality_for_recognition"] != "medium" {
				t.Fatalf("%s: got %d %v; want 200 with quality_for_recognition medium", path, code, obj)
			}
			s, err := st.Get(context.Background(), obj["sid"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if s.Reference == nil || s.Reference.Quality != "medium" {
				t.Fatalf("stored reference %+v; want the sealed embedding and grade", s.Reference)
			}
			if bytes.Contains(s.Reference.Sealed, goodRef.Embedding.Bytes()[:8]) {
				t.Error("the stored reference holds the embedding in the clear")
			}
			b, err := dataKeys.Open(s.ID, session.ReferenceLabel, s.Reference.Sealed)
			if err != nil {
				t.Fatalf("the stored reference does not open for its session: %v", err)
			}
			if e, err := faceid.EmbeddingFromBytes(b); err != nil || e != goodRef.Embedding {
				t.Errorf("opened reference %v (%v); want the checked embedding", e, err)
			}
			if _, err := dataKeys.Open("another-sid", session.ReferenceLabel, s.Reference.Sealed); err == nil {
				t.Error("the stored reference opens for another session")
			}
			for k := range obj {
				if strings.Contains(k, "embedding") || strings.Contains(k, "reference") {
					t.Errorf("response shows %s", k)
				}
			}
		}
		// Without verify_image: no grade, no reference, no check.
		refs.calls = 0
		code, obj := postJSON(t, h, path, `{"success_url":"https://a.example/"}`)
		if _, ok := obj["quality_for_recognition"]; code != 200 || ok || refs.calls != 0 {
			t.Errorf("plain create: got %d %v after %d checks", code, obj, refs.calls)
		}
	}
}

func TestCreateWithUnusableVerifyImage(t *testing.T) {
	img := base64.StdEncoding.EncodeToString(encodePNG(t, 64, 48))
	big := base64.StdEncoding.EncodeToString(make([]byte, api.MaxVerifyImageBytes+1))
	for _, tc := range []struct {
		name   string
		ref    faceid.Reference
		err    error
		body   string
		code   int
		substr string
	}{
		{"no face", faceid.Reference{Faces: 0}, nil, withVerify(img), 400, "verify_image: no face found"},
		{"two faces", faceid.Reference{Faces: 2}, nil, withVerify(img), 400, "verify_image: more than one face"},
		{"blurred", faceid.Reference{Faces: 1, Quality: faceid.QualityLow, Problem: "the face is too blurred"}, nil, withVerify(img), 400, "verify_image: the face is too blurred"},
		{"not base64", goodRef, nil, withVerify("%%%"), 400, "verify_image must be base64"},
		{"not an image", goodRef, nil, withVerify(base64.StdEncoding.EncodeToString([]byte("hello"))), 400, "verify_image: image must be a JPEG or PNG"},
		{"bad data URL", goodRef, nil, withVerify("data:image/png,abc"), 400, "must be base64"},
		{"too large", goodRef, nil, withVerify(big), 413, "at most 2097152 bytes"},
		{"checker fails", faceid.Reference{}, errors.New("boom"), withVerify(img), 500, "internal server error"},
		{"other fields over 64 KiB", goodRef, nil, `{"success_url":"https://a.example/","cancel_url":"` + strings.Repeat("a", 70<<10) + `","verify_image":"` + img + `"}`, 413, "at most 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, st := verifyHandler(t, &fakeRefs{ref: tc.ref, err: tc.err})
			code, obj := postJSON(t, h, "/face/v1/active-liveness-sessions", tc.body)
			msg, _ := obj["error_message"].(string)
			if code != tc.code || obj["status"] != "failed" || !strings.Contains(msg, tc.substr) {
				t.Errorf("got %d %v; want %d with %q", code, obj, tc.code, tc.substr)
			}
			if n := st.Len(); n != 0 {
				t.Errorf("%d sessions stored after a refused create", n)
			}
		})
	}
	h, _ := verifyHandler(t, nil)
	if code, obj := postJSON(t, h, "/face/v1/active-liveness-sessions", withVerify(img)); code != 503 {
		t.Errorf("no checker: got %d %v; want 503", code, obj)
	}
	// A server with no data key keeps no biometric data: it refuses a reference
	// before looking at it.
	refs := &fakeRefs{ref: goodRef}
	h, st := verifyHandlerKeys(t, refs, nil)
	code, obj := postJSON(t, h, "/face/v1/active-liveness-sessions", withVerify(img))
	if msg, _ := obj["error_message"].(string); code != 503 || !strings.Contains(msg, "no data key") || refs.calls != 0 || st.Len() != 0 {
		t.Errorf("no data key: got %d %v after %d checks, %d sessions; want 503 naming the missing key, nothing checked or stored", code, obj, refs.calls, st.Len())
	}
}

// TestVerifyResultShown: a finished session's verify_result appears beside GLAIR's
// result, and a session without one has none.
func TestVerifyResultShown(t *testing.T) {
	h, st := verifyHandler(t, &fakeRefs{ref: goodRef})
	img := base64.StdEncoding.EncodeToString(encodePNG(t, 64, 48))
	_, obj := postJSON(t, h, "/face/v1/passive-liveness-sessions", withVerify(img))
	sid := obj["sid"].(string)
	if _, err := st.Update(context.Background(), sid, func(s *session.Session) error {
		s.Status = session.StatusFinished
		s.Result = &session.Result{Status: "success", GestureStatus: session.GestureMatch, Attempts: 1,
			Verify: &session.VerifyResult{MatchConfidence: 0.12, IsIdentical: false, Threshold: 0.5}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/face/v1/passive-liveness-sessions/"+sid, nil)
	req.Header.Set("x-api-key", keyA)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var got struct {
		QualityForRecognition string `json:"quality_for_recognition"`
		Result                struct {
			Status       string `json:"status"`
			VerifyResult *struct {
				MatchConfidence float64 `json:"match_confidence"`
				IsIdentical     *bool   `json:"is_identical"`
				Threshold       float64 `json:"threshold"`
			} `json:"verify_result"`
		} `json:"result"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	v := got.Result.VerifyResult
	if rec.Code != 200 || got.Result.Status != "success" || v == nil || v.MatchConfidence != 0.12 || v.IsIdentical == nil || *v.IsIdentical || v.Threshold != 0.5 || got.QualityForRecognition != "medium" {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "embedding") {
		t.Errorf("the embedding is shown: %s", rec.Body)
	}
}

// TestRevokeDropsReference: a revoked session keeps no reference embedding,
// only its grade (the answer still says quality_for_recognition).
func TestRevokeDropsReference(t *testing.T) {
	h, st := verifyHandler(t, &fakeRefs{ref: goodRef})
	img := base64.StdEncoding.EncodeToString(encodePNG(t, 64, 48))
	_, obj := postJSON(t, h, "/face/v1/active-liveness-sessions", withVerify(img))
	sid := obj["sid"].(string)
	req := httptest.NewRequest(http.MethodDelete, "/face/v1/active-liveness-sessions/"+sid, nil)
	req.Header.Set("x-api-key", keyA)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	s, err := st.Get(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != session.StatusCanceled || s.Reference == nil || s.Reference.Sealed != nil || s.Reference.Quality != "medium" {
		t.Errorf("after revoke: status %s, reference %+v; want CANCELED, the grade and no embedding", s.Status, s.Reference)
	}
	if !strings.Contains(rec.Body.String(), `"quality_for_recognition":"medium"`) {
		t.Errorf("revoke answer %s lacks the reference's grade", rec.Body)
	}
}
