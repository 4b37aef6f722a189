package server

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/webhook"
)

// TestWebhookDelivered: a session revoked through the API is POSTed to its
// webhook_url, signed, with the very body GET answers; an internal target is
// refused at creation; on both stores.
func TestWebhookDelivered(t *testing.T) {
	const secret = "whsec_server_test_0123456789abcdef0123"
	for _, c := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"memory", func(*testing.T) map[string]string { return map[string]string{"LIVEGATE_API_KEYS": testKey} }},
		{"redis", func(t *testing.T) map[string]string { return redisEnv(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			type hit struct {
				hdr  http.Header
				body []byte
			}
			hits := make(chan hit, 4)
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				hits <- hit{r.Header.Clone(), b}
			}))
			defer rcv.Close()
			env := maps.Clone(c.env(t))
			env["LIVEGATE_WEBHOOK_SECRET"] = secret
			env["LIVEGATE_WEBHOOK_ALLOW"] = "127.0.0.1"
			s := startServer(t, env)

			const path = "/face/v1/active-liveness-sessions"
			if code, obj, _ := s.call(t, "POST", path, `{"success_url":"https://a.example/","webhook_url":"http://169.254.169.254/latest/meta-data/"}`); code != 400 ||
				!strings.Contains(obj["error_message"].(string), "webhook_url must not point") {
				t.Errorf("metadata webhook_url: got %d %v; want 400", code, obj)
			}
			code, created, _ := s.call(t, "POST", path, `{"success_url":"https://a.example/","webhook_url":"`+rcv.URL+`/hook"}`)
			if code != 200 {
				t.Fatalf("create: got %d %v", code, created)
			}
			sid := created["sid"].(string)
			if code, _, _ := s.call(t, "DELETE", path+"/"+sid, ""); code != 200 {
				t.Fatalf("revoke: got %d", code)
			}
			var h hit
			select {
			case h = <-hits:
			case <-time.After(20 * time.Second):
				t.Fatal("no webhook within 20 s")
			}
			if err := webhook.Verify(h.hdr.Get("Livegate-Signature"), h.body, secret, time.Now(), time.Minute); err != nil {
				t.Errorf("signature: %v", err)
			}
			if got := h.hdr.Get("Livegate-Event"); got != "session.canceled" {
				t.Errorf("Livegate-Event: got %q; want session.canceled", got)
			}
			if h.hdr.Get("Livegate-Delivery") == "" {
				t.Error("no Livegate-Delivery")
			}
			_, got, _ := s.call(t, "GET", path+"/"+sid, "")
			var sent map[string]any
			if err := json.Unmarshal(h.body, &sent); err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(got)
			sb, _ := json.Marshal(sent)
			if string(gb) != string(sb) {
				t.Errorf("webhook body:\n%s\nGET:\n%s", sb, gb)
			}
			// The dispatcher counts and dequeues once the receiver has
			// answered: look a few times.
			var metricsText string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
				_, metricsText = get(t, s.url+"/metrics")
				if strings.Contains(metricsText, `livegate_webhook_deliveries_total{outcome="delivered"} 1`) &&
					strings.Contains(metricsText, "livegate_webhook_queue_length 0") {
					break
				}
				<-time.After(100 * time.Millisecond)
			}
			if !strings.Contains(metricsText, `livegate_webhook_deliveries_total{outcome="delivered"} 1`) ||
				!strings.Contains(metricsText, "livegate_webhook_queue_length 0") {
				t.Errorf("metrics lack the delivery or the empty queue:\n%s", grep(metricsText, "livegate_webhook"))
			}
		})
	}
}

func grep(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestWebhookConfig: bad webhook settings stop start-up with one line
// naming the variable; good ones reach the config.
func TestWebhookConfig(t *testing.T) {
	long := strings.Repeat("w", 32)
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LIVEGATE_WEBHOOK_SECRET": "short"}, "LIVEGATE_WEBHOOK_SECRET"},
		{map[string]string{"LIVEGATE_WEBHOOK_SECRET": long + ",short"}, "LIVEGATE_WEBHOOK_SECRET"},
		{map[string]string{"LIVEGATE_WEBHOOK_SECRETS": "acme:" + long}, "LIVEGATE_WEBHOOK_SECRETS"},
		{map[string]string{"LIVEGATE_WEBHOOK_SECRETS": "key_0123456789abcdef:short"}, "LIVEGATE_WEBHOOK_SECRETS"},
		{map[string]string{"LIVEGATE_WEBHOOK_ALLOW": "https://hooks.example/x"}, "LIVEGATE_WEBHOOK_ALLOW"},
	} {
		_, err := loadConfig(func(k string) string { return c.env[k] })
		if err == nil || !strings.HasPrefix(err.Error(), c.want+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("env %v: got error %v; want one line starting with %s:", c.env, err, c.want)
		}
	}
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{
			"LIVEGATE_WEBHOOK_SECRET":  long,
			"LIVEGATE_WEBHOOK_SECRETS": "key_0123456789abcdef:" + strings.Repeat("k", 32),
			"LIVEGATE_WEBHOOK_ALLOW":   "10.0.0.0/8, hooks.internal",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.WebhookSecrets.For("key_0123456789abcdef"); len(got) != 1 || got[0][0] != 'k' {
		t.Errorf("per-key secret: got %v", got)
	}
	if got := cfg.WebhookSecrets.For("key_ffffffffffffffff"); len(got) != 1 || got[0] != long {
		t.Errorf("default secret: got %v", got)
	}
	if !cfg.WebhookGuard.Allowed(netip.MustParseAddr("10.1.2.3")) || cfg.WebhookGuard.Allowed(netip.MustParseAddr("192.168.0.1")) {
		t.Error("LIVEGATE_WEBHOOK_ALLOW did not reach the guard")
	}
	if cfg, err := loadConfig(func(string) string { return "" }); err != nil || webhookChecker(cfg) != nil {
		t.Errorf("no secret: got checker %v, %v; want none (webhook_url answers 503)", webhookChecker(cfg), err)
	}
}
