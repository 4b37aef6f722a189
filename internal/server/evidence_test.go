package server

import (
	"bytes"
	"context"
	"html"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/signedurl"
)

// TestEvidenceImagesEndToEnd: a real live session over pion (facegen's
// face) finishes; the API's answer lists its evidence images; each signed
// link serves a JPEG that decodes and in which YuNet finds the face; a
// tampered link and an expired one answer 403, and after DELETE …/evidence
// the link answers 404. The JPEGs never reach the log.
func TestEvidenceImagesEndToEnd(t *testing.T) {
	s := startServer(t, map[string]string{
		"LIVEGATE_API_KEYS": testKey, "LIVEGATE_DATA_KEYS": testDataKey,
		"LIVEGATE_BIOMETRIC_RETENTION": "1h", "LIVEGATE_EVIDENCE_URL_TTL": "1m",
		"LIVEGATE_SESSION_SECRET": evidenceSecret,
	})
	neutral := clip(t, "neutral 8s")
	turn := clip(t, "HEAD_LEFT 30deg 1.5s; neutral 1s")
	p := livePageWith(t, s, `"gestures":["HEAD_LEFT"]`)
	c, msgs, err := dialPage(t, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := react(ctx, t, c, msgs, neutral, turn, 600*time.Millisecond)
	if last := out[len(out)-1]; last.Type != "done" {
		t.Fatalf("last message %+v; want done\n%s", last, s.stderr)
	}
	code, got, _ := s.call(t, "GET", "/face/v1/active-liveness-sessions/"+p.SID, "")
	res, _ := got["result"].(map[string]any)
	imgs, _ := res["images"].([]any)
	if code != 200 || res["images_status"] != "kept" || len(imgs) < 4 {
		t.Fatalf("API after the capture: %d, result %v; want the images kept and listed", code, res)
	}
	names := map[string]string{}
	for _, x := range imgs {
		im := x.(map[string]any)
		names[im["name"].(string)] = im["url"].(string)
	}
	for _, n := range []string{"image_far", "image_near", "image_best", "audit_1"} {
		if names[n] == "" {
			t.Errorf("no %s among %v", n, names)
		}
	}
	yn, err := perception.FindYuNet("")
	if err != nil {
		t.Fatal(err)
	}
	det, err := perception.NewDetector(yn)
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	fetch := func(link string) (int, http.Header, []byte) {
		t.Helper()
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(s.url + u.RequestURI()) // no API key
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	for _, n := range []string{"image_near", "image_best", "audit_1"} {
		code, hdr, body := fetch(names[n])
		if code != 200 || hdr.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s: %d %s", n, code, hdr.Get("Content-Type"))
		}
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: not a JPEG: %v", n, err)
		}
		faces, err := det.Detect(gesture.ToGray(img))
		if err != nil || len(faces) != 1 {
			t.Errorf("%s (%v): YuNet found %d faces (%v); want the one face", n, img.Bounds(), len(faces), err)
		}
	}
	// The session's report shows the same images through links of its own
	// that load without an API key.
	report, _ := got["report_url"].(string)
	if report == "" {
		t.Fatalf("no report_url in %v", got)
	}
	code, _, page := fetch(report)
	srcs := regexp.MustCompile(`<img src="(/evidence/[^"]+)"`).FindAllSubmatch(page, -1)
	if code != 200 || !bytes.Contains(page, []byte(`data-testid="report-images"`)) || len(srcs) != len(imgs) {
		t.Fatalf("report: %d, %d images of %d listed", code, len(srcs), len(imgs))
	}
	if code, hdr, _ := fetch(html.UnescapeString(string(srcs[0][1]))); code != 200 || hdr.Get("Content-Type") != "image/jpeg" {
		t.Errorf("the report's first image: %d %s; want a JPEG", code, hdr.Get("Content-Type"))
	}
	best := names["image_best"]
	if code, _, body := fetch(strings.Replace(best, "image_best", "image_far", 1)); code != 403 || !strings.Contains(string(body), "error") {
		t.Errorf("tampered link: %d %s; want 403 in the error format", code, body)
	}
	code, _, _ = s.call(t, "DELETE", "/face/v1/active-liveness-sessions/"+p.SID+"/evidence", "")
	if code != 200 {
		t.Fatalf("DELETE evidence: %d", code)
	}
	if code, _, _ := fetch(best); code != 404 {
		t.Errorf("the link after DELETE evidence: %d; want 404", code)
	}
	if log := s.stderr.String(); strings.Contains(log, "\xff\xd8\xff") || strings.Contains(log, "/9j/") {
		t.Error("the log holds JPEG bytes")
	}
	// An expired link, signed by the server's own secret: 403, saying so.
	signer, err := signedurl.New(evidenceSecret)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(names["audit_1"])
	code, _, body := fetch(signer.Path(u.Path, time.Now().Add(-time.Second)))
	if code != 403 || !strings.Contains(string(body), "expired") {
		t.Errorf("an expired link: %d %s; want 403 saying expired", code, body)
	}
}

const evidenceSecret = "evidence-test-secret-0123456789abcdef"
