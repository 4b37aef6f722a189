package live

import "github.com/livegate/livegate/internal/gesture"

// evidence is what the attempts of a session on this instance showed about
// the face being a live 3D head, for Result.LivenessScore and AttackType.
//
// The rule, kept simple on purpose:
//   - A head turn matched only after the challenge's planarity and nose
//     parallax tests passed (gesture.Challenge); its median nose parallax p
//     (inter-ocular distances) scores 50 + 50·clamp((p − 0.04) / 0.12), so
//     the challenge's minimum (0.04) gives 50 and a real head turned 25–30°
//     (≈ 0.16 and more) gives 100. With several turns the weakest counts.
//   - A turn held but rejected as flat, or a gesture held on what looked
//     like a display (EventRejected "planar" or "screen"), is presentation
//     evidence: with no 3D turn to weigh against it the score is 10 and
//     attack_type "presentation"; with one, the score is at most 45 and
//     attack_type "unsure".
//   - Without either (only eye or mouth gestures, or nothing held) there is
//     no evidence: the score is 50 and attack_type null.
type evidence struct {
	rejected int       // flat turns and display replays held
	parallax []float64 // nose parallax of each matched turn
}

func (ev *evidence) add(r gesture.Result) {
	for _, g := range r.Gestures {
		ev.rejected += g.Rejected + g.Screen
		if g.Status == "MATCH" && g.Parallax > 0 {
			ev.parallax = append(ev.parallax, g.Parallax)
		}
	}
}

// score is the liveness score (0–100) and attack type (nil: none seen).
func (ev evidence) score() (*float64, *string) {
	score := 50.0
	if len(ev.parallax) > 0 {
		p := ev.parallax[0]
		for _, v := range ev.parallax[1:] {
			p = min(p, v)
		}
		score = 50 + 50*max(0, min(1, (p-0.04)/0.12))
	}
	var attack *string
	switch {
	case ev.rejected > 0 && len(ev.parallax) == 0:
		score, attack = 10, ptr("presentation")
	case ev.rejected > 0:
		score, attack = min(score, 45), ptr("unsure")
	}
	score = float64(int(score*10+0.5)) / 10
	return &score, attack
}
