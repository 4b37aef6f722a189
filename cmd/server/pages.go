package main

import (
	"log/slog"
	"net/http"

	"github.com/livegate/livegate/internal/session"
)

// mountPages adds the end user's pages and, when enabled, the demo.
func mountPages(mux *http.ServeMux, cfg *config, store session.Store, apiHandler http.Handler, log *slog.Logger) error {
	return nil
}
