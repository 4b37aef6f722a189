package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/livegate/livegate/internal/api"
)

// The API's tests build their handlers through checked, so that every
// exchange they record is held to the OpenAPI document (api.OpenAPI) by
// libopenapi-validator: each response's status, content type and body
// against the operation's responses, and each request that succeeded
// against its parameters, security and body. (A request refused with
// 4xx is often malformed on purpose: only its answer is checked.) A
// request the document does not describe must have reached the catch-all
// and answered 404 in the error format.

// openAPI is the validator of the document and a mux of its operations,
// built once.
var openAPI = sync.OnceValues(func() (*docIndex, error) {
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	var raw struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI, &raw); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for path, item := range raw.Paths {
		for method := range item {
			switch method {
			case "get", "post", "put", "patch", "delete":
				mux.HandleFunc(strings.ToUpper(method)+" "+path, func(http.ResponseWriter, *http.Request) {})
			}
		}
	}
	return &docIndex{v: v, ops: mux}, nil
})

type docIndex struct {
	mu  sync.Mutex // the validator's caches are not documented as safe for concurrent use
	v   validator.Validator
	ops *http.ServeMux
}

// checked returns h that also checks every exchange against the document,
// failing t on a mismatch.
func checked(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	idx, err := openAPI()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		again := func() *http.Request {
			c := r.Clone(r.Context())
			c.Body = io.NopCloser(bytes.NewReader(body))
			return c
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, again())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if msg := idx.check(again(), rec.Result()); msg != "" {
			t.Errorf("OpenAPI: %s %s answered %d:\n%s\nbody: %.400s", r.Method, r.URL.Path, rec.Code, msg, rec.Body.String())
		}
	})
}

// check says how the exchange departs from the document, "" when it does
// not.
func (d *docIndex) check(req *http.Request, resp *http.Response) string {
	if _, pattern := d.ops.Handler(req); pattern == "" {
		var e struct {
			Status       string `json:"status"`
			ErrorMessage string `json:"error_message"`
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusNotFound || json.Unmarshal(body, &e) != nil || e.Status != "failed" || e.ErrorMessage == "" {
			return "an operation the document does not describe must answer 404 in the error format"
		}
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []string
	if resp.StatusCode < 300 {
		if ok, verrs := d.v.ValidateHttpRequestSync(req); !ok {
			for _, e := range verrs {
				errs = append(errs, "request: "+describe(e.Message, e.Reason, e.SchemaValidationErrors))
			}
		}
	}
	if ok, verrs := d.v.ValidateHttpResponse(req, resp); !ok {
		for _, e := range verrs {
			errs = append(errs, "response: "+describe(e.Message, e.Reason, e.SchemaValidationErrors))
		}
	}
	return strings.Join(errs, "\n")
}

func describe(msg, reason string, details []*verrors.SchemaValidationFailure) string {
	s := msg + ": " + reason
	for _, d := range details {
		s += fmt.Sprintf("\n  at %s: %s (%s)", d.FieldPath, d.Reason, d.KeywordLocation)
	}
	return s
}

// TestOpenAPICheckCatchesDepartures shows that checked is not vacuous: the
// document refuses answers and requests the server must not produce.
func TestOpenAPICheckCatchesDepartures(t *testing.T) {
	idx, err := openAPI()
	if err != nil {
		t.Fatal(err)
	}
	const sid = "YrdV00l1uLMbL-2rz223SzyRfbvAt6Gq"
	good := `{"status":"PENDING","sid":"` + sid + `","expired":1,"url":"https://live.example.com/s/` + sid + `","success_url":"https://a.example/","cancel_url":null,"number_of_gestures":1,"result":null,"created":1,"max_attempts":3,"attempts_used":0}`
	exchange := func(method, path, reqBody string, status int, ctype, body string) string {
		req := httptest.NewRequest(method, path, strings.NewReader(reqBody))
		req.Header.Set("x-api-key", keyA)
		if reqBody != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", ctype)
		rec.WriteHeader(status)
		_, _ = io.WriteString(rec, body)
		return idx.check(req, rec.Result())
	}
	get := "/face/v1/active-liveness-sessions/" + sid
	if msg := exchange("GET", get, "", 200, "application/json; charset=utf-8", good); msg != "" {
		t.Fatalf("a good answer is refused: %s", msg)
	}
	if msg := exchange("GET", get, "", 404, "application/json; charset=utf-8", `{"status":"failed","error_message":"session not found"}`); msg != "" {
		t.Fatalf("a good error is refused: %s", msg)
	}
	for name, msg := range map[string]string{
		"no sid":                             exchange("GET", get, "", 200, "application/json", strings.Replace(good, `"sid":"`+sid+`",`, "", 1)),
		"unknown status":                     exchange("GET", get, "", 200, "application/json", strings.Replace(good, "PENDING", "DONE", 1)),
		"expired as a string":                exchange("GET", get, "", 200, "application/json", strings.Replace(good, `"expired":1`, `"expired":"1"`, 1)),
		"undocumented status":                exchange("GET", get, "", 418, "application/json", `{"status":"failed","error_message":"teapot"}`),
		"error without message":              exchange("GET", get, "", 404, "application/json", `{"status":"failed"}`),
		"HTML for JSON":                      exchange("GET", get, "", 200, "text/html", "<p>hi</p>"),
		"unknown request field answered 200": exchange("POST", "/face/v1/active-liveness-sessions", `{"success_url":"https://a.example/","colour":"red"}`, 200, "application/json", good),
		"fallback answering 200":             exchange("GET", "/face/v1/nothing", "", 200, "application/json", `{}`),
	} {
		if msg == "" {
			t.Errorf("%s: accepted; want refused", name)
		}
	}
}

// TestOpenAPIDocumentIsValid checks the document against the OpenAPI 3.1
// specification's schema.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	idx, err := openAPI()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(api.OpenAPI), `"openapi": "3.1.0"`) {
		t.Fatal("openapi.json is not an OpenAPI 3.1.0 document")
	}
	if ok, errs := idx.v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Error(describe(e.Message, e.Reason, e.SchemaValidationErrors))
		}
	}
}
