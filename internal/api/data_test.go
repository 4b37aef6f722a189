package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

// TestDeleteData: DELETE …/{sid}/data removes a session's biometric data at
// once in either store — in Redis no key under the store's prefix holds the
// sealed reference's bytes afterwards — cancels a pending session, keeps the
// grade, records the deletion in the audit, and is harmless when repeated;
// another key's or an unknown session is 404 and changes nothing.
func TestDeleteData(t *testing.T) {
	type backend struct {
		store session.Store
		raw   func(t *testing.T) [][]byte // every stored value, for the scan
	}
	backends := map[string]func(t *testing.T) backend{
		"memory": func(t *testing.T) backend {
			st := memstore.New()
			t.Cleanup(func() { _ = st.Close() })
			return backend{store: st}
		},
		"redis": func(t *testing.T) backend {
			c := sessiontest.RedisClient(t)
			prefix := sessiontest.RedisPrefix(t, c)
			st := redisstore.New(c, redisstore.WithPrefix(prefix))
			return backend{store: st, raw: func(t *testing.T) [][]byte {
				var out [][]byte
				for _, k := range sessiontest.RedisKeys(t, c, prefix) {
					switch c.Type(context.Background(), k).Val() {
					case "string":
						out = append(out, []byte(c.Get(context.Background(), k).Val()))
					case "list":
						for _, v := range c.LRange(context.Background(), k, 0, -1).Val() {
							out = append(out, []byte(v))
						}
					default:
						t.Fatalf("key %s of type %s: the scan does not read it", k, c.Type(context.Background(), k).Val())
					}
				}
				return out
			}}
		},
	}
	for name, mk := range backends {
		t.Run(name, func(t *testing.T) {
			b := mk(t)
			h, err := api.New(api.Config{Store: b.store, Keys: []api.Key{{Secret: keyA}, {Secret: keyB}}, PublicURL: public,
				References: &fakeRefs{ref: goodRef}, DataKeys: dataKeys})
			if err != nil {
				t.Fatal(err)
			}
			hh := checked(t, httpx.Middleware(h, slog.New(slog.DiscardHandler), httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic))
			img := base64.StdEncoding.EncodeToString(encodePNG(t, 64, 48))
			_, obj := postJSON(t, hh, "/face/v1/active-liveness-sessions", withVerify(img))
			sid, _ := obj["sid"].(string)
			s, err := b.store.Get(context.Background(), sid)
			if err != nil || s.Reference == nil || len(s.Reference.Sealed) == 0 {
				t.Fatalf("created session %v (%v); want a sealed reference", s, err)
			}
			sealedRef := s.Reference.Sealed
			if b.raw != nil && !holds(b.raw(t), sealedRef) {
				t.Fatal("the scan does not find the sealed reference before the deletion: it proves nothing after")
			}

			del := func(key, path string) (int, string) {
				req := httptest.NewRequest(http.MethodDelete, path, nil)
				req.Header.Set("x-api-key", key)
				rec := httptest.NewRecorder()
				hh.ServeHTTP(rec, req)
				return rec.Code, rec.Body.String()
			}
			path := "/face/v1/active-liveness-sessions/" + sid + "/data"
			for _, tc := range []struct{ key, path string }{
				{keyB, path},
				{keyA, "/face/v1/passive-liveness-sessions/" + sid + "/data"},
				{keyA, "/face/v1/active-liveness-sessions/" + strings.Repeat("x", 32) + "/data"},
			} {
				if code, body := del(tc.key, tc.path); code != 404 {
					t.Errorf("DELETE %s with another key or kind: %d %s; want 404", tc.path, code, body)
				}
			}
			if s, _ := b.store.Get(context.Background(), sid); s.Reference == nil || s.Reference.Sealed == nil || s.Status != session.StatusPending {
				t.Fatalf("a refused deletion changed the session: %+v", s)
			}

			code, body := del(keyA, path)
			if code != 200 || !strings.Contains(body, `"deleted":["reference_embedding"]`) || !strings.Contains(body, `"status":"CANCELED"`) {
				t.Fatalf("DELETE data: %d %s; want 200, the reference deleted and the pending session canceled", code, body)
			}
			s, err = b.store.Get(context.Background(), sid)
			if err != nil || s.Reference == nil || s.Reference.Sealed != nil || s.Reference.Quality != "medium" || s.Status != session.StatusCanceled {
				t.Fatalf("after the deletion: %+v (%v); want CANCELED, the grade and no sealed reference", s, err)
			}
			if b.raw != nil && holds(b.raw(t), sealedRef) {
				t.Error("Redis still holds the sealed reference after the deletion")
			}
			if code, body := del(keyA, path); code != 200 || !strings.Contains(body, `"deleted":[]`) {
				t.Errorf("DELETE data again: %d %s; want 200 with nothing deleted", code, body)
			}
			entries, err := b.store.Audit(context.Background(), sid)
			if err != nil {
				t.Fatal(err)
			}
			var outcomes []string
			for _, e := range entries {
				if e.Event == "data_deleted" {
					outcomes = append(outcomes, e.Outcome)
				}
			}
			if strings.Join(outcomes, " ") != "reference_embedding nothing_kept" {
				t.Errorf("audit data_deleted outcomes %v; want reference_embedding then nothing_kept", outcomes)
			}
		})
	}
}

// holds reports whether any stored value carries the sealed bytes, raw (the
// Redis store's biometric key) or in base64 (inside JSON).
func holds(values [][]byte, sealed []byte) bool {
	b64 := []byte(base64.StdEncoding.EncodeToString(sealed))
	for _, v := range values {
		if bytes.Contains(v, sealed) || bytes.Contains(v, b64) {
			return true
		}
	}
	return false
}
