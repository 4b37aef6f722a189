package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCreateSendsExpires: -expires reaches the API as expires_in_seconds,
// and without it the field is left to the server's default.
func TestCreateSendsExpires(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = nil
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("body: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"sid":"s1"}`))
	}))
	defer srv.Close()
	for _, expires := range []int{0, 90} {
		r := &runner{o: options{server: srv.URL, apiKey: "k", number: 1, expires: expires}, http: srv.Client()}
		page, err := r.create(context.Background())
		if err != nil || page != srv.URL+"/s/s1" {
			t.Fatalf("create: %q, %v", page, err)
		}
		v, ok := got["expires_in_seconds"]
		switch {
		case expires == 0 && ok:
			t.Errorf("without -expires the body has expires_in_seconds %v", v)
		case expires != 0 && v != float64(expires):
			t.Errorf("-expires %d sent expires_in_seconds %v", expires, v)
		}
	}
}
