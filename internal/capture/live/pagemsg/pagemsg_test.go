package pagemsg

import "testing"

func TestDecodePageMessage(t *testing.T) {
	for _, tc := range []struct {
		raw    string
		typ    string
		wantOK bool
	}{
		{`{"v":1,"type":"ready"}`, Ready, true},
		{`{"v":1,"type":"cancel"}`, Cancel, true},
		{`{"v":1,"type":"cancel","extra":true}`, Cancel, true},
		{`{"v":2,"type":"ready"}`, "ready", false},
		{`{"type":"ready"}`, "ready", false},
		{`{"v":1,"type":"hello"}`, "hello", false},
		{`not json`, "", false},
		{``, "", false},
	} {
		typ, _, ok := Decode([]byte(tc.raw))
		if ok != tc.wantOK || (ok && typ != tc.typ) {
			t.Errorf("Decode(%q) = %q, %v; want %q, %v", tc.raw, typ, ok, tc.typ, tc.wantOK)
		}
	}
}

func TestCameraLabel(t *testing.T) {
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a'
	}
	for raw, want := range map[string]string{
		`{"v":1,"type":"ready","camera_label":"FaceTime HD Camera"}`: "FaceTime HD Camera",
		`{"v":1,"type":"ready"}`:                                     "",
		`not json`:                                                   "",
		`{"v":1,"type":"ready","camera_label":"` + string(long) + `"}`: string(long[:MaxLabel]),
	} {
		if got := CameraLabel([]byte(raw)); got != want {
			t.Errorf("CameraLabel(%.60s) = %q; want %q", raw, got, want)
		}
	}
}
