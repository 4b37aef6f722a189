package server

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// TestLogsCarryNoFaceData feeds a running server, logging at debug level, a
// marker image (a real portrait with random bytes after the JPEG's end,
// which every decoder ignores) through every way an image comes in: a
// session's verify_image, the match, the single-image checks, and broken
// copies of it (cut short, bad base64). Neither the logs nor any error
// answer may carry the marker, the image's bytes in base64 or hex, or an
// embedding.
func TestLogsCarryNoFaceData(t *testing.T) {
	face := testPhoto(t, "mazie-hirono.jpg")
	var m [12]byte
	rand.Read(m[:])
	marker := "LIVEGATEMARKER" + hex.EncodeToString(m[:])
	img := append(append([]byte(nil), face...), marker...)
	b64 := base64.StdEncoding.EncodeToString(img)

	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_DATA_KEYS": testDataKey, "LIVEGATE_LOG_LEVEL": "debug"})
	var answers strings.Builder
	record := func(what string, code int, body string) {
		answers.WriteString(what + " " + body + "\n")
		if code >= 500 {
			t.Errorf("%s: %d %s", what, code, body)
		}
	}
	for _, tc := range []struct{ name, path, body string }{
		{"verify_image", "/face/v1/active-liveness-sessions", `{"success_url":"https://shop.example/done","gestures":["HEAD_LEFT"],"verify_image":"` + b64 + `"}`},
		{"verify_image cut short", "/face/v1/passive-liveness-sessions", `{"success_url":"https://shop.example/done","verify_image":"` + base64.StdEncoding.EncodeToString(img[:len(img)/3]) + `"}`},
		{"verify_image bad base64", "/face/v1/passive-liveness-sessions", `{"success_url":"https://shop.example/done","verify_image":"` + b64[:400] + `%%` + marker + `"}`},
		{"unknown field", "/face/v1/passive-liveness-sessions", `{"success_url":"https://shop.example/done","photo":"` + b64[:2000] + marker + `"}`},
	} {
		code, body := rawCall(t, s, "POST", tc.path, "application/json", strings.NewReader(tc.body))
		record(tc.name, code, body)
	}
	for _, tc := range []struct {
		name, path string
		files      map[string][]byte
	}{
		{"match", "/face/v1/match", map[string][]byte{"captured_image": img, "stored_image": img}},
		{"match cut short", "/face/v1/match", map[string][]byte{"captured_image": img[:len(img)/2], "stored_image": img}},
		{"passive", "/face/v1/passive-liveness", map[string][]byte{"image": img}},
		{"passive cut short", "/face/v1/passive-liveness", map[string][]byte{"image": img[:len(img)/2]}},
		{"active", "/face/v1/active-liveness", map[string][]byte{"image": img}},
	} {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for field, data := range tc.files {
			fw, err := w.CreateFormFile(field, marker+".jpg")
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(data)
		}
		w.Close()
		code, body := rawCall(t, s, "POST", tc.path, w.FormDataContentType(), &buf)
		record(tc.name, code, body)
	}
	if !strings.Contains(answers.String(), `"MATCH"`) {
		t.Fatalf("the marker image was not judged as a face (the test would prove nothing):\n%s", answers.String())
	}

	out := s.stderr.String() + s.stdout.String()
	if n := strings.Count(out, `"msg":"request"`); n != 9 {
		t.Fatalf("%d request lines in the log; want one per call (9)\n%s", n, out)
	}
	for _, where := range []struct{ name, text string }{{"log", out}, {"answers", answers.String()}} {
		for _, secret := range []string{
			marker, hex.EncodeToString(m[:]),
			b64[1000:1040], base64.StdEncoding.EncodeToString(img[len(img)-40:]),
			hex.EncodeToString(face[2000:2020]), "embedding",
		} {
			if strings.Contains(where.text, secret) {
				t.Errorf("the %s carry %q of the image or its face", where.name, secret)
			}
		}
	}
}

// rawCall sends body with the test key and returns the status and body.
func rawCall(t *testing.T, s *server, method, path, contentType string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
