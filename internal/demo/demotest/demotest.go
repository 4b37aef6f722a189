// Package demotest is a stand-in for the REST API's two session endpoints
// that the demo calls, over any session.Store, so that the demo and the
// browser tests run without internal/api. Its JSON follows GLAIR's shapes.
package demotest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// API serves POST /face/v1/active-liveness-sessions and
// GET /face/v1/active-liveness-sessions/{sid} for one API key.
type API struct {
	store  session.Store
	key    string
	public string
	now    func() time.Time
	mux    *http.ServeMux
}

// NewAPI returns the fake API. publicURL is the base of the end user's page
// URLs it hands out.
func NewAPI(store session.Store, key, publicURL string, now func() time.Time) *API {
	a := &API{store: store, key: key, public: strings.TrimRight(publicURL, "/"), now: now, mux: http.NewServeMux()}
	a.mux.HandleFunc("POST /face/v1/active-liveness-sessions", a.create)
	a.mux.HandleFunc("GET /face/v1/active-liveness-sessions/{sid}", a.get)
	return a
}

// ServeHTTP checks the key and routes the request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("x-api-key") != a.key {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"status": "failed", "error_message": "invalid API key"})
		return
	}
	a.mux.ServeHTTP(w, r)
}

// sessionJSON is GLAIR's session object, in GLAIR's field order.
type sessionJSON struct {
	Status           session.Status `json:"status"`
	SuccessURL       string         `json:"success_url"`
	CancelURL        *string        `json:"cancel_url"`
	NumberOfGestures int            `json:"number_of_gestures"`
	URL              string         `json:"url"`
	SID              string         `json:"sid"`
	Expired          int64          `json:"expired"`
	Result           any            `json:"result"`
}

func (a *API) view(s *session.Session) sessionJSON {
	v := sessionJSON{
		Status:           s.StatusAt(a.now()),
		SuccessURL:       s.SuccessURL,
		NumberOfGestures: s.NumberOfGestures(),
		URL:              a.public + "/s/" + s.ID,
		SID:              s.ID,
		Expired:          s.ExpiresAt.UnixMilli(),
	}
	if s.CancelURL != "" {
		v.CancelURL = &s.CancelURL
	}
	if s.Result != nil {
		v.Result = map[string]any{
			"status": s.Result.Status,
			"result": map[string]any{"gesture_status": s.Result.GestureStatus, "detected_gesture": s.Result.DetectedGesture},
		}
	}
	return v
}

func (a *API) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SuccessURL string `json:"success_url"`
		CancelURL  string `json:"cancel_url"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "failed", "error_message": "invalid JSON body"})
		return
	}
	s, err := session.New(session.Params{
		Kind: session.KindActive, Owner: "demo", SuccessURL: in.SuccessURL, CancelURL: in.CancelURL,
	}, a.now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "failed", "error_message": session.ErrorMessage(err)})
		return
	}
	if err := a.store.Create(r.Context(), s); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"status": "failed", "error_message": "internal server error"})
		return
	}
	v := a.view(s)
	v.Result = nil
	writeJSON(w, http.StatusOK, v)
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	s, err := a.store.Get(r.Context(), r.PathValue("sid"))
	if err != nil || s.Owner != "demo" {
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "failed", "error_message": "session not found"})
		return
	}
	writeJSON(w, http.StatusOK, a.view(s))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
