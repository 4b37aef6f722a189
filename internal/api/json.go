package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/livegate/livegate/internal/session"
)

// decodeJSONLimit reads one JSON object into v: JSON content type only, at
// most limit bytes (MaxBodyBytes, or more for a field that needs it), no
// unknown fields, no trailing data, and strict (see checkStrict). Errors
// name the problem. It returns the body's length.
func decodeJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) (int, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/json" && !strings.HasSuffix(ct, "+json")) {
		return 0, session.Errorf(session.EInvalid, "Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return 0, session.Errorf(session.ETooLarge, "request body must be at most %d bytes", limit)
		}
		return 0, session.Errorf(session.EInvalid, "could not read request body")
	}
	return len(body), decodeBody(body, v)
}

// decodeBody is decodeJSONLimit after the body is read: the part the fuzz test
// drives.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return session.Errorf(session.EInvalid, "request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return session.Errorf(session.EInvalid, "request body must be valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return session.Errorf(session.EInvalid, "request body must hold exactly one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return session.Errorf(session.EInvalid, "request body must hold exactly one JSON object")
	}
	return checkStrict(body, reflect.TypeOf(v))
}

// checkStrict refuses what encoding/json lets through but a validating
// front end in another language may read differently, so that both always
// agree on what was asked: a key given twice (encoding/json keeps the
// last, others the first), a field name that matches only when case is
// ignored (encoding/json matches "Success_URL" to success_url), and string
// values that carry control characters (CR/LF forge log lines and headers,
// NUL truncates in C) or a lone UTF-16 surrogate escape, which
// encoding/json silently turns into U+FFFD. body is known to be valid
// JSON, a single value, and valid UTF-8.
func checkStrict(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return strictValue(dec, t, "")
}

// strictValue checks the next value of dec against t (nil when the value's
// shape is free: no field names to check). field names the value in errors.
func strictValue(dec *json.Decoder, t reflect.Type, field string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return session.Errorf(session.EInvalid, "request body is not valid JSON")
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			return strictObject(dec, t)
		case '[':
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for dec.More() {
				if err := strictValue(dec, elem, field); err != nil {
					return err
				}
			}
			_, err := dec.Token() // ']'
			return err
		}
	case string:
		if msg := badString(tok); msg != "" {
			if field == "" {
				return session.Errorf(session.EInvalid, "request body %s", msg)
			}
			return session.Errorf(session.EInvalid, "%s %s", field, msg)
		}
	}
	return nil
}

func strictObject(dec *json.Decoder, t reflect.Type) error {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return session.Errorf(session.EInvalid, "request body is not valid JSON")
		}
		key, _ := tok.(string)
		if msg := badString(key); msg != "" {
			return session.Errorf(session.EInvalid, "a field name %s", msg)
		}
		if seen[key] {
			return session.Errorf(session.EInvalid, "duplicate field %q", key)
		}
		seen[key] = true
		var ft reflect.Type
		if fields != nil {
			var ok bool
			if ft, ok = fields[key]; !ok {
				for name := range fields {
					if strings.EqualFold(name, key) {
						return session.Errorf(session.EInvalid, "unknown field %q (field names are case-sensitive: %q)", key, name)
					}
				}
				return session.Errorf(session.EInvalid, "unknown field %q", key)
			}
		}
		if err := strictValue(dec, ft, key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// jsonFields maps the exact JSON names of t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// badString says what is wrong with a decoded JSON string, or "". U+FFFD
// is refused because encoding/json produces it for a lone surrogate
// escape: the sender meant something else, and what it meant is lost.
func badString(s string) string {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "must be valid Unicode (no lone surrogate escapes or U+FFFD)"
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return fmt.Sprintf("must not contain control characters (found U+%04X)", r)
		}
	}
	return ""
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return session.Errorf(session.EInvalid, "request body must be a JSON object")
		}
		return session.Errorf(session.EInvalid, "%s must be %s, not %s", typeErr.Field, jsonTypeName(typeErr.Type.String()), typeErr.Value)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return session.Errorf(session.EInvalid, "request body is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return session.Errorf(session.EInvalid, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return session.Errorf(session.EInvalid, "request body is not valid JSON")
}

func jsonTypeName(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "int":
		return "an integer"
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	}
	return "of another type"
}
