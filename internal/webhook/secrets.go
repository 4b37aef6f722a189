package webhook

import (
	"fmt"
	"regexp"
	"strings"
)

// MinSecretLength is the shortest webhook secret accepted.
const MinSecretLength = 32

// Secrets are the keys deliveries are signed with: a default list and,
// optionally, lists for single API keys (by key id, as sessions record their
// owner). Each list is a rotation: every secret in it signs (one v1 each).
type Secrets struct {
	Default []string
	PerKey  map[string][]string
}

// For returns the secrets that sign deliveries of owner's sessions: its own
// if it has any, else the default ones. nil means webhooks are not
// available to owner.
func (s *Secrets) For(owner string) []string {
	if s == nil {
		return nil
	}
	if k, ok := s.PerKey[owner]; ok {
		return k
	}
	return s.Default
}

var keyIDPattern = regexp.MustCompile(`^key_[0-9a-f]{16}$`)

// ParseSecrets reads LIVEGATE_WEBHOOK_SECRET (comma-separated secrets) and
// LIVEGATE_WEBHOOK_SECRETS (comma-separated key_id:secret entries; a key id
// may repeat to rotate). It returns nil when both are empty. Errors name the
// variable at fault.
func ParseSecrets(def, perKey string) (*Secrets, error) {
	s := &Secrets{}
	for i, v := range splitList(def) {
		if len(v) < MinSecretLength {
			return nil, fmt.Errorf("LIVEGATE_WEBHOOK_SECRET: secret %d is shorter than %d characters", i+1, MinSecretLength)
		}
		s.Default = append(s.Default, v)
	}
	for i, v := range splitList(perKey) {
		id, secret, ok := strings.Cut(v, ":")
		if !ok || !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("LIVEGATE_WEBHOOK_SECRETS: entry %d: want key_<16 hex digits>:secret (the key id sessions record as their owner)", i+1)
		}
		if len(secret) < MinSecretLength {
			return nil, fmt.Errorf("LIVEGATE_WEBHOOK_SECRETS: entry %d: secret is shorter than %d characters", i+1, MinSecretLength)
		}
		if s.PerKey == nil {
			s.PerKey = map[string][]string{}
		}
		s.PerKey[id] = append(s.PerKey[id], secret)
	}
	if s.Default == nil && s.PerKey == nil {
		return nil, nil
	}
	return s, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
