package api

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/livegate/livegate/internal/session"
)

// FuzzImageForm drives the single-image endpoints' input path, the
// multipart form and the image decoding, with arbitrary bodies and content
// types. It must never panic, must refuse with the API's invalid (400) or
// too-large (413) errors only, and whatever it decodes must be within the
// engine's limits (MaxImageSide) and the memory budget (MaxDecodedBytes).
// The committed corpus (testdata/fuzz/FuzzImageForm) holds well-formed
// forms with a PNG and a JPEG, issue 14's 6300×6300 16-bit PNG header, and
// broken forms.
func FuzzImageForm(f *testing.F) {
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"gesture-code\"\r\n\r\nHEAD_11\r\n--b--\r\n"))
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"blob\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--b--\r\n"))
	f.Add("text/plain", []byte("image=1"))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		for _, withCode := range []bool{false, true} {
			req := httptest.NewRequest(http.MethodPost, "/face/v1/active-liveness", bytes.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			data, _, err := readImageForm(httptest.NewRecorder(), req, withCode)
			if err != nil {
				checkRefusal(t, err)
				continue
			}
			if len(data) == 0 || len(data) > MaxImageBytes {
				t.Fatalf("accepted an image of %d bytes", len(data))
			}
			img, err := decodeImage(data)
			if err != nil {
				checkRefusal(t, err)
				continue
			}
			b := img.Bounds()
			if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > MaxImageSide || b.Dy() > MaxImageSide {
				t.Fatalf("decoded a %d×%d image; the limit is %d", b.Dx(), b.Dy(), MaxImageSide)
			}
			if n := int64(b.Dx()) * int64(b.Dy()) * int64(bytesPerPixel(img.ColorModel())); n > MaxDecodedBytes {
				t.Fatalf("decoded %d bytes of pixels; the budget is %d", n, MaxDecodedBytes)
			}
		}
	})
}

// checkRefusal fails unless err is the domain's invalid or too-large error
// with a message for the client.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var e *session.Error
	if !errors.As(err, &e) || (e.Code != session.EInvalid && e.Code != session.ETooLarge) || e.Message == "" {
		t.Fatalf("refused with %v (code %q); want invalid or too large with a message", err, session.ErrorCode(err))
	}
}
