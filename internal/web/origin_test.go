package web_test

import (
	"testing"

	"github.com/livegate/livegate/internal/web"
)

func TestOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://shop.example/back?x=1#f", "https://shop.example"},
		{"HTTPS://Shop.Example:8443/a", "https://shop.example:8443"},
		{"http://127.0.0.1:8080/x", "http://127.0.0.1:8080"},
		{"http://[::1]:8080/x", "http://[::1]:8080"},
		{"https://bücher.example/a", ""},
		{"javascript:alert(1)", ""},
		{"/relative", ""},
		{"https://", ""},
	}
	for _, tc := range tests {
		if got := web.Origin(tc.in); got != tc.want {
			t.Errorf("Origin(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
