package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// CreateSession creates an active-liveness session through the API at base
// (POST /face/v1/active-liveness-sessions with body, the key in x-api-key
// and, when user is set, HTTP Basic) and returns its sid.
func CreateSession(ctx context.Context, hc *http.Client, base, apiKey, user, pass string, body map[string]any) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/face/v1/active-liveness-sessions", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", apiKey)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var obj struct {
		SID          string `json:"sid"`
		ErrorMessage string `json:"error_message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&obj)
	if resp.StatusCode != http.StatusOK || obj.SID == "" {
		return "", fmt.Errorf("create session: %d %s", resp.StatusCode, obj.ErrorMessage)
	}
	return obj.SID, nil
}
