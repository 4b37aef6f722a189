package web

import (
	"net/http"
	"net/url"
	"strings"
)

// DefaultFrameAncestors forbids framing the pages anywhere.
const DefaultFrameAncestors = "'none'"

// ContentSecurityPolicy returns the policy of every page. formOrigins are
// added to form-action: Chromium applies form-action to each redirect that
// follows a form submission, so a POST answered with 303 to an integrator's
// cancel_url on another origin would be blocked without it.
func ContentSecurityPolicy(frameAncestors string, formOrigins ...string) string {
	if frameAncestors == "" {
		frameAncestors = DefaultFrameAncestors
	}
	formAction := "'self'"
	seen := map[string]bool{}
	for _, o := range formOrigins {
		if o == "" || seen[o] {
			continue
		}
		seen[o] = true
		formAction += " " + o
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; media-src 'self' blob:; base-uri 'none'; form-action " + formAction +
		"; frame-ancestors " + frameAncestors
}

// SetPageHeaders sets the headers every HTML page carries.
func SetPageHeaders(h http.Header, csp string) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Permissions-Policy", "camera=(self)")
}

// Origin returns scheme://host of an absolute http(s) URL, or "" when raw
// is not one. CSP source expressions are origins, never paths.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	// A header is ASCII, and a CSP source cannot carry these characters. An
	// internationalised host name would need punycode (golang.org/x/text is
	// not among the module's dependencies), so it has no origin here.
	if strings.ContainsAny(u.Host, " ;,'\"") || !isASCII(u.Host) {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// SecureCookies reports whether cookies must be Secure for a public URL:
// always, except for a loopback host that browsers reach over plain http.
func SecureCookies(publicURL string) bool {
	u, err := url.Parse(publicURL)
	if err != nil {
		return true
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
		return false
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
