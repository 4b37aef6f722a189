package api_test

import (
	"strings"
	"testing"
)

// TestStrictJSON: what encoding/json lets through but a validating front
// end may read differently is refused with 400 in the error format, and
// nothing is stored.
func TestStrictJSON(t *testing.T) {
	const ok = `"success_url":"https://a.example/"`
	tests := []struct {
		name, body, msg string
	}{
		{"duplicate key", `{` + ok + `,"success_url":"https://b.example/"}`, `duplicate field "success_url"`},
		{"duplicate optional key", `{` + ok + `,"max_attempts":1,"max_attempts":10}`, `duplicate field "max_attempts"`},
		{"duplicate through case", `{` + ok + `,"SUCCESS_URL":"https://b.example/"}`, "case-sensitive"},
		{"case-mismatched name", `{"Success_URL":"https://a.example/"}`, `unknown field "Success_URL" (field names are case-sensitive: "success_url")`},
		{"case-mismatched optional", `{` + ok + `,"Device_Correlation_ID":"d"}`, "case-sensitive"},
		{"NUL in device id", `{` + ok + `,"device_correlation_id":"dev\u0000ice"}`, "device_correlation_id must not contain control characters (found U+0000)"},
		{"CRLF in device id", `{` + ok + `,"device_correlation_id":"dev\r\nX-Injected: 1"}`, "device_correlation_id must not contain control characters (found U+000D)"},
		{"LF in success_url", `{"success_url":"https://a.example/\nx"}`, "success_url must not contain control characters"},
		{"tab in cancel_url", `{` + ok + `,"cancel_url":"https://a.example/\tx"}`, "cancel_url must not contain control characters"},
		{"DEL in webhook_url", `{` + ok + `,"webhook_url":"https://a.example/\u007f"}`, "webhook_url must not contain control characters"},
		{"C1 control in locale", `{` + ok + `,"locale":"en\u0085"}`, "locale must not contain control characters"},
		{"line separator", `{` + ok + `,"device_correlation_id":"a\u2028b"}`, "device_correlation_id must not contain control characters"},
		{"control in a gesture", `{` + ok + `,"gestures":["HEAD_UP\u0000"]}`, "gestures must not contain control characters"},
		{"lone surrogate", `{` + ok + `,"device_correlation_id":"\ud800"}`, "device_correlation_id must be valid Unicode"},
		{"invalid UTF-8 in url", "{\"success_url\":\"https://a.example/\xff\xfe\"}", "valid UTF-8"},
		{"invalid UTF-8 in device id", "{" + ok + ",\"device_correlation_id\":\"\xc3\x28\"}", "valid UTF-8"},
		{"control in a field name", `{` + ok + `,"x\u0000":1}`, `unknown field "x\x00"`},
		{"device id over 128 bytes though 100 characters", `{` + ok + `,"device_correlation_id":"` + strings.Repeat("é", 100) + `"}`, "device_correlation_id must be at most 128 bytes"},
		{"url over 2048 bytes", `{"success_url":"https://a.example/` + strings.Repeat("é", 1020) + `"}`, "success_url must be at most 2048 bytes"},
	}
	f := newFixture(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do("POST", sessions, keyA, tt.body)
			if r.code != 400 {
				t.Fatalf("got %d %s; want 400", r.code, r.body)
			}
			if r.obj["status"] != "failed" || !strings.Contains(r.obj["error_message"].(string), tt.msg) {
				t.Errorf("got body %s; want status failed and a message containing %q", r.body, tt.msg)
			}
			if ct := r.hdr.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	if n := f.store.Len(); n != 0 {
		t.Errorf("store holds %d sessions after only refused requests; want 0", n)
	}

	// What stays accepted: non-ASCII text, escapes of printable
	// characters, 128 bytes of two-byte characters.
	for _, body := range []string{
		`{` + ok + `,"device_correlation_id":"pérangkat-①"}`,
		`{"success_url":"https://a.example/?q=\u0041"}`,
		`{` + ok + `,"device_correlation_id":"` + strings.Repeat("é", 64) + `"}`,
	} {
		if r := f.do("POST", sessions, keyA, body); r.code != 200 {
			t.Errorf("%s: got %d %s; want 200", body, r.code, r.body)
		}
	}
}
