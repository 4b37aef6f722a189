package httpx

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ErrorBody is GLAIR's error format, which every livegate JSON endpoint
// answers errors in: the REST API and the pages' signalling requests.
type ErrorBody struct {
	Status       string `json:"status"`
	ErrorMessage string `json:"error_message"`
}

// WriteError answers status with {"status":"failed","error_message":msg}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(ErrorBody{Status: "failed", ErrorMessage: msg}) // two strings cannot fail
	WriteJSONBytes(w, status, b)
}

// WriteJSONBytes answers status with the JSON document b, not cached and
// not sniffed.
func WriteJSONBytes(w http.ResponseWriter, status int, b []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
