package main

import (
	"sync"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception"
)

// faces renders the -react photo: its landmarks are found once (and kept in
// facegen's cache directory between runs) with the engine's own models.
type faces struct {
	r     *facegen.Renderer
	photo string
}

func newFaces(photo string) (*faces, error) {
	r := facegen.NewRenderer(facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.FootageConfig())))
	if dir, err := facegen.DefaultCacheDir(); err == nil {
		r.CacheDir = dir
	}
	if _, err := r.LoadPhoto(photo); err != nil {
		return nil, err
	}
	return &faces{r: r, photo: photo}, nil
}

// actor makes session i's person: its own live renderer and its own draws.
func (f *faces) actor(o options, i uint64) (*actor, error) {
	live, err := f.r.NewLive(facegen.Params{Face: f.photo, Seed: o.seed + i, Noise: 1.5, NoBlinks: o.noBlinks})
	if err != nil {
		return nil, err
	}
	return &actor{Actor: facegen.Actor{Live: live, Person: facegen.NewPerson(o.reaction, o.jitter, o.seed+i)}}, nil
}

// actor is the facegen person, with the reaction delays it drew kept for
// the printed result.
type actor struct {
	facegen.Actor
	mu     sync.Mutex
	onsets map[time.Duration]time.Duration // instruction time → drawn delay
}

func (a *actor) Instruct(gesture string, t time.Duration) {
	onset, err := a.Person.Instruct(gesture, t)
	if err != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.onsets == nil {
		a.onsets = map[time.Duration]time.Duration{}
	}
	a.onsets[t] = onset - t
}

// reactFigure is one instruction of a reactive run.
type reactFigure struct {
	Gesture    string  `json:"gesture"`
	Attempt    int     `json:"attempt"`
	ReactionMS float64 `json:"reaction_ms"`
	MatchMS    float64 `json:"instruction_to_match_ms"` // 0: not matched
	Failed     string  `json:"failed,omitempty"`        // the attempt_failed reason that ended its try
	at         time.Duration
}

// figures pairs each instruction with its match or the failure that ended
// its try.
func (a *actor) figures(msgs []client.Message) []reactFigure {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []reactFigure
	for _, m := range msgs {
		n := len(out)
		open := n > 0 && out[n-1].MatchMS == 0 && out[n-1].Failed == ""
		switch {
		case m.Type == "instruction":
			out = append(out, reactFigure{Gesture: m.Gesture, Attempt: m.Attempt, ReactionMS: ms(a.onsets[m.At]), at: m.At})
		case m.Type == "matched" && open:
			out[n-1].MatchMS = ms(m.At - out[n-1].at)
		case m.Type == "attempt_failed" && open:
			out[n-1].Failed = m.Reason
		}
	}
	return out
}

var _ client.Actor = (*actor)(nil)
