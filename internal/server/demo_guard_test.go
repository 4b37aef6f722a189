package server

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/api"
)

// Issue 14: LIVEGATE_DEMO=true beside real keys made any sid a bearer
// credential for the first key's sessions and let anyone use up its budget.

func TestDemoBesideRealKeysIsRefusedUnlessForced(t *testing.T) {
	secret := strings.Repeat("s", 40)
	for _, tc := range []struct {
		name string
		env  map[string]string
		err  string // a prefix of the error; "" for none
		demo bool
	}{
		{"development key: demo by default", map[string]string{}, "", true},
		{"real keys: no demo by default", map[string]string{"LIVEGATE_API_KEYS": testKey}, "", false},
		{"real keys and demo", map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_DEMO": "true"}, "LIVEGATE_DEMO: the demo is refused beside real API keys", false},
		{"real keys, demo forced", map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_DEMO": "true", "LIVEGATE_DEMO_FORCE": "true", "LIVEGATE_SESSION_SECRET": secret}, "", true},
		{"force alone", map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_DEMO_FORCE": "true"}, "", false},
		{"bad force", map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_DEMO": "true", "LIVEGATE_DEMO_FORCE": "yes please"}, "LIVEGATE_DEMO_FORCE:", false},
	} {
		c, err := loadConfig(func(k string) string { return tc.env[k] })
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%s: error %v; want one starting %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.Demo != tc.demo {
			t.Errorf("%s: demo %v; want %v", tc.name, c.Demo, tc.demo)
		}
		if !c.Demo {
			if c.DemoKey.Secret != "" || len(c.Keys) != 1 {
				t.Errorf("%s: demo key %q, %d keys; want none and the configured key", tc.name, c.DemoKey.Secret, len(c.Keys))
			}
			continue
		}
		if !slices.Contains(c.Keys, c.DemoKey) {
			t.Errorf("%s: the demo key is not one the API accepts", tc.name)
		}
		if c.DevKey {
			continue
		}
		if !c.DemoForced || c.DemoKey.Secret == testKey || c.DemoKey.ID() == (api.Key{Secret: testKey}).ID() {
			t.Errorf("%s: forced %v, demo key %q; want forced and a key of its own", tc.name, c.DemoForced, c.DemoKey.Secret)
		}
		// Instances sharing the session secret agree on the demo's tenant.
		again, err := loadConfig(func(k string) string { return tc.env[k] })
		if err != nil || again.DemoKey != c.DemoKey {
			t.Errorf("%s: a second instance's demo key %q (%v); want the same %q", tc.name, again.DemoKey.Secret, err, c.DemoKey.Secret)
		}
	}
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func TestForcedDemoHasItsOwnTenantAndBudget(t *testing.T) {
	s := startServer(t, map[string]string{
		"LIVEGATE_API_KEYS":     testKey,
		"LIVEGATE_DEMO":         "true",
		"LIVEGATE_DEMO_FORCE":   "true",
		"LIVEGATE_CREATE_RATE":  "0.001",
		"LIVEGATE_CREATE_BURST": "1",
	})
	if log := s.stderr.String(); !strings.Contains(log, `"level":"WARN"`) || !strings.Contains(log, "DEMO ENABLED BESIDE REAL API KEYS") {
		t.Errorf("no start-up warning about the forced demo in the log:\n%s", log)
	}
	// The real key's one session uses its whole budget.
	code, created, _ := s.call(t, "POST", "/face/v1/active-liveness-sessions", `{"success_url":"https://shop.example/done"}`)
	if code != http.StatusOK {
		t.Fatalf("create with the real key: %d %v", code, created)
	}
	sid, _ := created["sid"].(string)
	pageURL, _ := created["url"].(string)
	if code, body, _ := s.call(t, "POST", "/face/v1/active-liveness-sessions", `{"success_url":"https://shop.example/done"}`); code != http.StatusTooManyRequests {
		t.Fatalf("second create with the real key: %d %v; want 429 (its budget is 1)", code, body)
	}

	// The demo shows no session of the real key.
	code, page := get(t, s.url+"/demo/done?sid="+url.QueryEscape(sid))
	if code != http.StatusOK {
		t.Fatalf("/demo/done: %d", code)
	}
	if strings.Contains(page, pageURL) || strings.Contains(page, "PENDING") || !strings.Contains(page, "404") {
		t.Errorf("/demo/done with the real key's sid shows its session (want the API's 404):\n%s", page)
	}

	// The demo still creates: its budget is its own.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(s.url + "/demo")
	if err != nil {
		t.Fatal(err)
	}
	home, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(home)
	if m == nil {
		t.Fatalf("no CSRF token on /demo:\n%s", home)
	}
	resp, err = client.PostForm(s.url+"/demo", url.Values{"csrf_token": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	demoPage, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The API's status as the page shows it (a bare "429" can stand in the
	// page's expiry timestamp).
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(demoPage), "/s/") ||
		!strings.Contains(string(demoPage), `data-testid="api-status">200 OK</dd>`) {
		t.Errorf("demo create after the real key's budget was used: %d\n%s", resp.StatusCode, demoPage)
	}
	// And the real key cannot read the demo's session either.
	demoSID := regexp.MustCompile(`/s/([A-Za-z0-9_-]+)`).FindStringSubmatch(string(demoPage))
	if demoSID == nil {
		t.Fatalf("no session link on the demo's page")
	}
	if code, body, _ := s.call(t, "GET", "/face/v1/active-liveness-sessions/"+demoSID[1], ""); code != http.StatusNotFound {
		t.Errorf("the real key reads the demo's session: %d %v; want 404", code, body)
	}
}
