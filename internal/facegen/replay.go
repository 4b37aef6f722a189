package facegen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// ReplayGestures are the gestures of issue 16's recording, in its order: a
// person doing every gesture a session may draw, one after the other. Played
// back, such a recording must never pass a session.
var ReplayGestures = []string{"HEAD_LEFT", "HEAD_RIGHT", "HEAD_UP", "HEAD_DOWN", "HEAD_00", "HEAD_OPEN_MOUTH"}

// Timing of the replay recording at its natural speed.
const (
	replayLead  = 2 * time.Second        // neutral before the first gesture
	replayMove  = 1 * time.Second        // each gesture, movement included
	replayPause = 800 * time.Millisecond // neutral between two gestures
)

// ReplayScript returns the script of an all-gestures recording: neutral 2 s,
// then each gesture of order for about 1 s with a neutral pause between, and
// a neutral second at the end. stretch scales every duration: 1 is the
// natural speed, 1.25 is slowed down by 25 %, 0.75 sped up by 25 %.
func ReplayScript(order []string, stretch float64) (string, error) {
	if len(order) == 0 {
		return "", fmt.Errorf("facegen: replay script without gestures")
	}
	if stretch < 0.25 || stretch > 4 {
		return "", fmt.Errorf("facegen: replay stretch %g out of range 0.25..4", stretch)
	}
	d := func(v time.Duration) string {
		return fmt.Sprintf("%dms", time.Duration(float64(v)*stretch).Milliseconds())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "neutral %s", d(replayLead))
	for i, g := range order {
		if i > 0 {
			fmt.Fprintf(&b, "; neutral %s", d(replayPause))
		}
		fmt.Fprintf(&b, "; %s %s", g, d(replayMove))
	}
	fmt.Fprintf(&b, "; neutral %s", d(time.Second))
	if _, err := ParseScript(b.String()); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ShuffledReplayGestures returns ReplayGestures in an order drawn from seed.
func ShuffledReplayGestures(seed uint64) []string {
	out := append([]string(nil), ReplayGestures...)
	rng := rand.New(rand.NewPCG(seed, 0x7265706c6179))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
