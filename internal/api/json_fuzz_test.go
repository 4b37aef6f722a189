package api

import (
	"encoding/json"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/livegate/livegate/internal/session"
)

// FuzzDecodeBody drives the API's JSON decoding with arbitrary bodies. It
// must never panic, must refuse with the domain's invalid (400) or nothing
// at all, and what it accepts must be what a strict reader would see:
// valid UTF-8, no control characters in any string, and a body that
// re-encodes and decodes to the same request.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"success_url":"https://a.example/"}`,
		`{"success_url":"https://a.example/?q=1","cancel_url":"https://a.example/c","number_of_gestures":2,"gestures":["HEAD_LEFT","HEAD_UP"],"expires_in_seconds":600,"max_attempts":3,"device_correlation_id":"dev-1","locale":"id","webhook_url":"https://h.example/w"}`,
		`{"success_url":"a","success_url":"b"}`,
		`{"Success_URL":"https://a.example/"}`,
		`{"device_correlation_id":"a\u0000b"}`,
		`{"device_correlation_id":"\ud800"}`,
		"{\"success_url\":\"\xff\"}",
		`{"gestures":[["x"]]}`,
		`[1,2]`,
		`{}{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req createRequest
		err := decodeBody(body, &req)
		if err != nil {
			if code := session.ErrorCode(err); code != session.EInvalid {
				t.Fatalf("refused with code %q (%v); want invalid", code, err)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8: %q", body)
		}
		strs := []string{req.SuccessURL, str(req.CancelURL), str(req.DeviceCorrelationID), str(req.Locale), str(req.WebhookURL)}
		strs = append(strs, req.Gestures...)
		for _, s := range strs {
			for _, r := range s {
				if unicode.IsControl(r) || r == utf8.RuneError {
					t.Fatalf("accepted %q in a string field: %q", r, body)
				}
			}
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		var req2 createRequest
		if err := decodeBody(again, &req2); err != nil {
			t.Fatalf("re-encoded request %s refused: %v", again, err)
		}
		if b2, _ := json.Marshal(req2); string(b2) != string(again) {
			t.Fatalf("round trip changed the request:\n%s\n%s", again, b2)
		}
	})
}
