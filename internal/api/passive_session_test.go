package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/livegate/livegate/internal/session"
)

// A finished passive session's result has GLAIR's passive liveness shape
// (spoof_percentage and its band, or the face status with 1.0) plus
// livegate's liveness_score, attack_type, breakdown and attempts, and no
// gesture fields.
func TestPassiveSessionResultShape(t *testing.T) {
	f := newFixture(t, nil)
	const path = "/face/v1/passive-liveness-sessions/"
	num := func(v float64) *float64 { return &v }
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		name   string
		res    session.Result
		want   string // the result's "result" object
		status string
	}{
		{"bona fide", session.Result{Status: "success", GestureStatus: session.GestureMatch, LivenessScore: num(97.4), SpoofPercentage: num(0.026)},
			`{"spoof_percentage":0.026,"status":"LOW"}`, "success"},
		{"moderate", session.Result{Status: "failed", GestureStatus: session.GestureMatch, LivenessScore: num(40), AttackType: str("presentation"), SpoofPercentage: num(0.6)},
			`{"spoof_percentage":0.6,"status":"MODERATE"}`, "failed"},
		{"frozen", session.Result{Status: "failed", GestureStatus: session.GestureMatch, LivenessScore: num(15), AttackType: str("unsure"), SpoofPercentage: num(0.85),
			Liveness: &session.LivenessDetail{PassMark: 50, Decisive: "frozen", Signals: []session.LivenessSignal{{Name: "frozen", Score: num(15), Attack: "unsure", Reason: "frozen for 2.5 s"}}}},
			`{"spoof_percentage":0.85,"status":"HIGH"}`, "failed"},
		{"no face", session.Result{Status: "failed", GestureStatus: session.GestureNoFace, LivenessScore: num(50), SpoofPercentage: num(1)},
			`{"spoof_percentage":1,"status":"face not detected"}`, "failed"},
		{"two faces", session.Result{Status: "failed", GestureStatus: session.GestureTooManyFaces, LivenessScore: num(50), SpoofPercentage: num(1)},
			`{"spoof_percentage":1,"status":"too many faces detected"}`, "failed"},
		{"timeout", session.Result{Status: "failed", GestureStatus: session.GestureNotMatch, LivenessScore: num(50), SpoofPercentage: num(1)},
			`{"spoof_percentage":1,"status":"face not detected"}`, "failed"},
	} {
		sid := f.do("POST", "/face/v1/passive-liveness-sessions", keyA, `{"success_url":"https://a.example/"}`).obj["sid"].(string)
		if r := f.do("GET", path+sid, keyA, ""); r.obj["result"] != nil {
			t.Fatalf("%s: pending result %v; want null", c.name, r.obj["result"])
		}
		_, err := f.store.Update(context.Background(), sid, func(s *session.Session) error {
			if _, err := s.StartAttempt(f.clock.Now()); err != nil {
				return err
			}
			return s.Finish(c.res, f.clock.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		r := f.do("GET", path+sid, keyA, "")
		res, _ := r.obj["result"].(map[string]any)
		inner, _ := json.Marshal(res["result"])
		if r.code != 200 || r.obj["status"] != "FINISHED" || res["status"] != c.status || string(inner) != c.want {
			t.Errorf("%s: got %d %s; want FINISHED, %s, result %s", c.name, r.code, r.body, c.status, c.want)
		}
		if res["liveness_score"] != *c.res.LivenessScore || res["attempts"] != 1.0 {
			t.Errorf("%s: liveness_score %v attempts %v", c.name, res["liveness_score"], res["attempts"])
		}
		if a, ok := res["attack_type"]; !ok || (c.res.AttackType == nil && a != nil) || (c.res.AttackType != nil && a != *c.res.AttackType) {
			t.Errorf("%s: attack_type %v (present %v); want %v", c.name, a, ok, c.res.AttackType)
		}
		for _, k := range []string{"gestures", "gesture_status", "detected_gesture", "spoof_percentage"} {
			if _, ok := res[k]; ok {
				t.Errorf("%s: result has %s: %s", c.name, k, r.body)
			}
		}
		if c.res.Liveness != nil {
			if l, _ := res["liveness"].(map[string]any); l == nil || l["decisive"] != "frozen" {
				t.Errorf("%s: liveness %v; want the breakdown", c.name, res["liveness"])
			}
		}
	}
}
