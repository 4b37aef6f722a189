package api_test

import (
	"net/http"
	"testing"
)

// TestUnauthorizedNamesTheScheme: every 401 carries WWW-Authenticate (RFC
// 9110 §11.6.1), naming the API key header, and Basic too when a key
// wants it.
func TestUnauthorizedNamesTheScheme(t *testing.T) {
	f := newFixture(t, nil) // keyBasic wants Basic credentials
	for _, key := range []string{"", "key-x-0123456789abcdef", keyBasic} {
		r := f.do("GET", sessions+"/x", key, "", func(r *http.Request) { r.Header.Del("Authorization") })
		if r.code != 401 {
			t.Fatalf("key %q: got %d; want 401", key, r.code)
		}
		got := r.hdr.Values("WWW-Authenticate")
		want := []string{`APIKey realm="livegate", header="x-api-key"`, `Basic realm="livegate", charset="UTF-8"`}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("key %q: WWW-Authenticate %q; want %q", key, got, want)
		}
	}
	if r := f.do("GET", sessions+"/x", keyA, ""); r.code != 404 || r.hdr.Get("WWW-Authenticate") != "" {
		t.Errorf("authenticated request: %d WWW-Authenticate %q; want 404 and none", r.code, r.hdr.Get("WWW-Authenticate"))
	}
}
