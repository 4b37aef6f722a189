package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/jpeg"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
	"github.com/livegate/livegate/internal/signedurl"
)

const secret = "0123456789abcdef0123456789abcdef-test"

type imgFixture struct {
	*fixture
	keys *sealed.Keyring
	jpeg []byte
}

// newImgFixture is the API with evidence images: a memory store, data
// keys and a URL signer (nil keys: a server without data keys).
func newImgFixture(t *testing.T, keys *sealed.Keyring) *imgFixture {
	t.Helper()
	c := sessiontest.NewClock(sessiontest.Start)
	st := memstore.New(memstore.WithClock(c.Now))
	t.Cleanup(func() { _ = st.Close() })
	signer, err := signedurl.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{
		Store:     st,
		Keys:      []api.Key{{Secret: keyA}, {Secret: keyB, BiometricRetention: keyBRetention}},
		PublicURL: public,
		Now:       c.Now,
		DataKeys:  keys,
		Images:    st,
		URLSigner: signer,
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	f := &fixture{t: t, clock: c, store: st, h: checked(t, httpx.Middleware(h, log, httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic))}
	img := image.NewYCbCr(image.Rect(0, 0, 48, 32), image.YCbCrSubsampleRatio420)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return &imgFixture{fixture: f, keys: keys, jpeg: buf.Bytes()}
}

// finished creates a session with key and finishes it; with images, it
// puts an image_best and an audit_1 for it as capture/live does.
func (f *imgFixture) finished(key string, images bool) string {
	f.t.Helper()
	sid := f.create(key, `{"success_url":"https://shop.example/ok"}`).obj["sid"].(string)
	s, err := f.store.Update(context.Background(), sid, func(s *session.Session) error {
		return s.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch}, f.clock.Now())
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if images {
		var imgs []session.Image
		for _, n := range []string{session.ImageBest, session.AuditImageName(1)} {
			v, err := f.keys.Seal(sid, session.ImageLabel(n), f.jpeg)
			if err != nil {
				f.t.Fatal(err)
			}
			imgs = append(imgs, session.Image{Name: n, Width: 48, Height: 32, At: f.clock.Now(), Box: &session.Box{X: 1, Y: 2, W: 3, H: 4}, Sealed: v})
		}
		if err := f.store.PutImages(context.Background(), sid, imgs, s.BiometricUntil()); err != nil {
			f.t.Fatal(err)
		}
	}
	return sid
}

// fetch GETs a link without any credentials.
func (f *imgFixture) fetch(link string) (int, http.Header, []byte) {
	f.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		f.t.Fatal(err)
	}
	req := httptest.NewRequest("GET", u.RequestURI(), nil)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

type listed struct {
	Result struct {
		Images []struct {
			Name      string       `json:"name"`
			URL       string       `json:"url"`
			ExpiresAt *time.Time   `json:"expires_at"`
			Base64    string       `json:"base64"`
			Box       *session.Box `json:"box"`
		} `json:"images"`
		ImagesStatus string `json:"images_status"`
	} `json:"result"`
}

func (f *imgFixture) list(key, sid, query string) listed {
	f.t.Helper()
	r := f.do("GET", sessions+"/"+sid+query, key, "")
	if r.code != 200 {
		f.t.Fatalf("GET %s%s: %d %s", sid, query, r.code, r.body)
	}
	var l listed
	if err := json.Unmarshal([]byte(r.body), &l); err != nil {
		f.t.Fatal(err)
	}
	return l
}

func wantForbidden(t *testing.T, what string, code int, body []byte) {
	t.Helper()
	var e map[string]any
	if code != 403 || json.Unmarshal(body, &e) != nil || e["error_message"] == nil {
		t.Errorf("%s: %d %s; want 403 in the error format", what, code, body)
	}
}

// TestImageURLs: the result lists the images as signed links that serve
// the JPEG (not cached, not sniffed) until they expire — 24 h, never past
// the images' retention — and that refuse with 403 once tampered with,
// expired or signed with another key.
func TestImageURLs(t *testing.T) {
	f := newImgFixture(t, sealed.Ephemeral())
	sid := f.finished(keyB, true)
	l := f.list(keyB, sid, "")
	if l.Result.ImagesStatus != "kept" || len(l.Result.Images) != 2 {
		t.Fatalf("images %+v", l.Result)
	}
	im := l.Result.Images[0]
	if im.Name != session.ImageBest || im.Base64 != "" || im.Box == nil || *im.Box != (session.Box{X: 1, Y: 2, W: 3, H: 4}) {
		t.Errorf("listed %+v", im)
	}
	if want := f.clock.Now().Add(api.DefaultImageURLTTL); im.ExpiresAt == nil || !im.ExpiresAt.Equal(want) {
		t.Errorf("expires_at %v; want %v (24 h)", im.ExpiresAt, want)
	}
	if !strings.HasPrefix(im.URL, public+"/evidence/"+sid+"/image_best?") {
		t.Errorf("url %s", im.URL)
	}
	code, hdr, body := f.fetch(im.URL)
	if code != 200 || !bytes.Equal(body, f.jpeg) {
		t.Fatalf("the link: %d, %d bytes; want 200 and the JPEG", code, len(body))
	}
	for k, v := range map[string]string{"Content-Type": "image/jpeg", "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"} {
		if hdr.Get(k) != v {
			t.Errorf("%s: %q; want %q", k, hdr.Get(k), v)
		}
	}

	u, _ := url.Parse(im.URL)
	q := u.Query()
	tamper := func(what string, mod func(u *url.URL, q url.Values)) {
		t.Helper()
		u2 := *u
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = append([]string(nil), v...)
		}
		mod(&u2, q2)
		u2.RawQuery = q2.Encode()
		code, _, body := f.fetch(u2.String())
		wantForbidden(t, what, code, body)
	}
	tamper("another image, same signature", func(u *url.URL, q url.Values) { u.Path = strings.Replace(u.Path, "image_best", "audit_1", 1) })
	tamper("later expiry", func(u *url.URL, q url.Values) { q.Set("exp", "9999999999") })
	tamper("changed signature", func(u *url.URL, q url.Values) {
		s := []byte(q.Get("sig"))
		s[3] ^= 1
		q.Set("sig", string(s))
	})
	tamper("no signature", func(u *url.URL, q url.Values) { q.Del("sig") })
	tamper("another session", func(u *url.URL, q url.Values) { u.Path = strings.Replace(u.Path, sid, session.NewID(), 1) })
	other, _ := signedurl.New("another secret of at least thirty-two bytes")
	exp := f.clock.Now().Add(time.Hour)
	code, _, body = f.fetch(public + other.Path("/evidence/"+sid+"/image_best", exp))
	wantForbidden(t, "signed with another key", code, body)

	// The link lives 24 h, to the second.
	f.clock.Set(*im.ExpiresAt)
	code, _, body = f.fetch(im.URL)
	wantForbidden(t, "expired", code, body)
	if !strings.Contains(string(body), "expired") {
		t.Errorf("expired link: %s; want it to say expired", body)
	}
}

// TestImageURLNeverOutlivesRetention: an hour before the images' retention
// ends, the links expire with it, not 24 h later.
func TestImageURLNeverOutlivesRetention(t *testing.T) {
	f := newImgFixture(t, sealed.Ephemeral())
	sid := f.finished(keyB, true)
	s, err := f.store.Get(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Set(s.BiometricUntil().Add(-time.Hour))
	l := f.list(keyB, sid, "")
	if len(l.Result.Images) != 2 {
		t.Fatalf("images %+v", l.Result)
	}
	if got := l.Result.Images[0].ExpiresAt; got == nil || !got.Equal(s.BiometricUntil()) {
		t.Errorf("link expires %v; want the retention's end %v", got, s.BiometricUntil())
	}
	code, _, _ := f.fetch(l.Result.Images[0].URL)
	if code != 200 {
		t.Fatalf("the link before the end: %d", code)
	}
	f.clock.Set(s.BiometricUntil())
	code, _, body := f.fetch(l.Result.Images[0].URL)
	wantForbidden(t, "at the retention's end", code, body)
}

// TestImageBase64: IMAGE_BASE64 gives the JPEGs inline; any other
// result_type is 400 in the error format.
func TestImageBase64(t *testing.T) {
	f := newImgFixture(t, sealed.Ephemeral())
	sid := f.finished(keyB, true)
	l := f.list(keyB, sid, "?result_type=IMAGE_BASE64")
	if len(l.Result.Images) != 2 {
		t.Fatalf("images %+v", l.Result)
	}
	for _, im := range l.Result.Images {
		b, err := base64.StdEncoding.DecodeString(im.Base64)
		if err != nil || !bytes.Equal(b, f.jpeg) || im.URL != "" {
			t.Errorf("%s: base64 %d bytes (%v), url %q; want the JPEG inline and no link", im.Name, len(b), err, im.URL)
		}
	}
	for _, q := range []string{"?result_type=image_url", "?result_type=PDF", "?result_type=IMAGE_URL&result_type=IMAGE_BASE64"} {
		if r := f.do("GET", sessions+"/"+sid+q, keyB, ""); r.code != 400 || r.obj["error_message"] == nil {
			t.Errorf("GET %s: %d %s; want 400", q, r.code, r.body)
		}
	}
}

// TestDeleteEvidence: DELETE …/evidence removes the images at once (the
// links answer 404, the result lists none), keeps the verdict, is audited
// and harmless when repeated; another key cannot; DELETE …/data removes
// them too.
func TestDeleteEvidence(t *testing.T) {
	f := newImgFixture(t, sealed.Ephemeral())
	sid := f.finished(keyB, true)
	link := f.list(keyB, sid, "").Result.Images[0].URL
	if r := f.do("DELETE", sessions+"/"+sid+"/evidence", keyA, ""); r.code != 404 {
		t.Errorf("another key's DELETE: %d; want 404", r.code)
	}
	if code, _, _ := f.fetch(link); code != 200 {
		t.Fatalf("after another key's DELETE the link answers %d", code)
	}
	r := f.do("DELETE", sessions+"/"+sid+"/evidence", keyB, "")
	if r.code != 200 || len(r.obj["deleted"].([]any)) != 2 {
		t.Fatalf("DELETE evidence: %d %s", r.code, r.body)
	}
	if code, _, body := f.fetch(link); code != 404 || !json.Valid(body) {
		t.Errorf("the link after DELETE: %d %s; want 404 in the error format", code, body)
	}
	l := f.list(keyB, sid, "")
	if len(l.Result.Images) != 0 || l.Result.ImagesStatus != "none" {
		t.Errorf("after DELETE: %+v", l.Result)
	}
	if r := f.do("GET", sessions+"/"+sid, keyB, ""); r.obj["result"].(map[string]any)["status"] != "success" {
		t.Errorf("the verdict went with the images: %s", r.body)
	}
	if r := f.do("DELETE", sessions+"/"+sid+"/evidence", keyB, ""); r.code != 200 || len(r.obj["deleted"].([]any)) != 0 {
		t.Errorf("second DELETE: %d %s", r.code, r.body)
	}
	es, _ := f.store.Audit(context.Background(), sid)
	n := 0
	for _, e := range es {
		if e.Event == "evidence_deleted" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d evidence_deleted entries; want 2", n)
	}

	sid = f.finished(keyB, true)
	r = f.do("DELETE", sessions+"/"+sid+"/data", keyB, "")
	if r.code != 200 || !strings.Contains(r.body, api.BiometricImages) {
		t.Fatalf("DELETE data: %d %s; want %s deleted", r.code, r.body, api.BiometricImages)
	}
	if got, _ := f.store.Images(context.Background(), sid, false); got != nil {
		t.Errorf("DELETE data left %d images", len(got))
	}
}

// TestImagesStatus: a result says why it lists no images.
func TestImagesStatus(t *testing.T) {
	f := newImgFixture(t, nil)
	if l := f.list(keyB, f.finished(keyB, false), ""); l.Result.ImagesStatus != "no_data_keys" || len(l.Result.Images) != 0 {
		t.Errorf("without data keys: %+v", l.Result)
	}
	f = newImgFixture(t, sealed.Ephemeral())
	if l := f.list(keyA, f.finished(keyA, false), ""); l.Result.ImagesStatus != "no_biometric_retention" {
		t.Errorf("key without retention: %+v", l.Result)
	}
	// A link to a server without data keys is not found, whatever it says.
	f = newImgFixture(t, nil)
	signer, _ := signedurl.New(secret)
	code, _, _ := f.fetch(public + signer.Path("/evidence/"+session.NewID()+"/image_best", f.clock.Now().Add(time.Hour)))
	if code != 404 {
		t.Errorf("a link on a server without images: %d; want 404", code)
	}
}
