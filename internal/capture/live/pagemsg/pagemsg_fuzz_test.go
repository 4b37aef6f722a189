package pagemsg

import (
	"encoding/json"
	"testing"
)

// FuzzDecodePageMessage: any data-channel message from the page. It must
// not panic, and it accepts exactly the version 1 ready and cancel
// messages: whatever it accepts, encoding/json reads the same way.
func FuzzDecodePageMessage(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"ready"}`,
		`{"v":1,"type":"cancel"}`,
		`{"v":2,"type":"ready"}`,
		`{"type":"ready"}`,
		`{"v":1,"type":"offer"}`,
		`{"v":1.0,"type":"ready","extra":[1,2,{}]}`,
		`{"v":"1","type":"ready"}`,
		`{"v":1,"type":"ready","type":"cancel"}`,
		`[]`, `null`, ``, `{"v":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		typ, v, ok := Decode(raw)
		if !ok {
			return
		}
		if v != 1 || (typ != Ready && typ != Cancel) {
			t.Fatalf("accepted %q as v=%d type=%q", raw, v, typ)
		}
		var m struct {
			V    int    `json:"v"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || m.V != v || m.Type != typ {
			t.Fatalf("accepted %q, which encoding/json reads as %+v (%v)", raw, m, err)
		}
	})
}
