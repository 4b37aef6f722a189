package session

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedirect checks integrator URLs and appends a sid to the accepted
// ones. Properties: no panic; what CheckRedirectURL accepts is an
// absolute http(s) URL with a host and no user info; WithSID keeps scheme,
// host, path and fragment, leaves exactly one sid parameter, equal to the
// sid, keeps every other parameter in order byte for byte, and is
// idempotent (appending again gives the same URL).
func FuzzRedirect(f *testing.F) {
	for _, s := range []string{
		"https://a.example/",
		"https://a.example/done?x=1&y=%20z#frag",
		"https://a.example/?sid=old&x=1&sid=older",
		"https://a.example/?%73id=enc",
		"http://[::1]:8080/p?q",
		"https://a.example/?",
		"https://user@a.example/",
		"javascript:alert(1)",
		"//evil.example/",
		"https://a.example/\\evil",
		"https://a.example/?a=%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if CheckRedirectURL("success_url", raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Fatalf("accepted %q: %+v %v", raw, u, err)
		}
		sid := NewID()
		out, err := WithSID(raw, sid)
		if err != nil {
			t.Fatalf("WithSID(%q): %v", raw, err)
		}
		v, err := url.Parse(out)
		if err != nil {
			t.Fatalf("WithSID(%q) = %q, which does not parse: %v", raw, out, err)
		}
		if v.Scheme != u.Scheme || v.Host != u.Host || v.EscapedPath() != u.EscapedPath() || v.Fragment != u.Fragment {
			t.Fatalf("WithSID(%q) = %q changed more than the query", raw, out)
		}
		var kept, want []string
		for _, pair := range strings.Split(v.RawQuery, "&") {
			if k, _, _ := strings.Cut(pair, "="); k != "sid" {
				kept = append(kept, pair)
			}
		}
		if u.RawQuery != "" {
			for _, pair := range strings.Split(u.RawQuery, "&") {
				k, _, _ := strings.Cut(pair, "=")
				if dk, err := url.QueryUnescape(k); err != nil || dk != "sid" {
					want = append(want, pair)
				}
			}
		}
		if strings.Join(kept, "&") != strings.Join(want, "&") {
			t.Fatalf("WithSID(%q) = %q: other parameters %q; want %q", raw, out, kept, want)
		}
		if got := v.Query()["sid"]; len(got) != 1 || got[0] != sid {
			t.Fatalf("WithSID(%q) = %q: sid parameters %q; want exactly [%s]", raw, out, got, sid)
		}
		if again, err := WithSID(out, sid); err != nil || again != out {
			t.Fatalf("WithSID not idempotent: %q then %q (%v)", out, again, err)
		}
	})
}
