package facegen

import (
	"fmt"
	"image"
	"math/rand/v2"
	"sync"
	"time"
)

// How a person makes a gesture once they have read the instruction: the
// movement takes about as long as a scripted one (a turn of 30° in about
// 0.4 s, a lid in a tenth), the pose is held at least MinHold and until the
// person sees it was accepted (Person.Release), at most MaxHold, then the
// face goes back to neutral as fast as it left it.
const (
	PersonMinHold = 800 * time.Millisecond
	PersonMaxHold = 3 * time.Second
	// PersonMinReaction is the fastest a person reacts to a written
	// instruction; a drawn delay below it is raised to it.
	PersonMinReaction = 250 * time.Millisecond
	// PersonPause is the least time a person rests at neutral between two
	// movements; a gesture not accepted is made again after it, at most
	// PersonRepeats more times.
	PersonPause   = 500 * time.Millisecond
	PersonRepeats = 2
)

// Person is a user in front of the camera who reacts to instructions: a
// neutral face, and each asked gesture made after a reaction delay (Reaction
// plus a uniform draw in ±Jitter), as a person makes it. Times are durations
// on the caller's clock (the same one for Instruct, Release and State). It
// is safe for concurrent use: the data channel instructs while the sender
// renders.
type Person struct {
	Reaction, Jitter time.Duration

	mu   sync.Mutex
	rng  *rand.Rand
	acts []personAct
}

type personAct struct {
	target  State
	onset   time.Duration // the movement starts
	rise    time.Duration // time to reach the pose
	release time.Duration // when the person sees it accepted (or gives up); -1: not yet
	repeats int           // times left to make the gesture again when not accepted
}

// NewPerson returns a Person with the given reaction delay and jitter whose
// draws come from seed.
func NewPerson(reaction, jitter time.Duration, seed uint64) *Person {
	return &Person{Reaction: reaction, Jitter: jitter, rng: rand.New(rand.NewPCG(seed, 0x706572736f6e))}
}

// Instruct asks for gesture code at time at; it returns when the movement
// will start: after the reaction delay, and not before a pose still held
// is back to neutral. Codes that need no movement (HEAD_11, HEAD_CLOSE_MOUTH: a
// neutral face already) only release any gesture still held.
func (p *Person) Instruct(code string, at time.Duration) (time.Duration, error) {
	a, err := newAction(token{s: code})
	if err != nil {
		return 0, fmt.Errorf("facegen: person: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.Reaction
	if p.Jitter > 0 {
		d += time.Duration((2*p.rng.Float64() - 1) * float64(p.Jitter))
	}
	d = max(d, PersonMinReaction)
	// A pose still held is let go as the new instruction is read, and the
	// new gesture starts from the neutral face: a person does not turn up
	// from a turn to the left.
	p.releaseLocked(at)
	onset := at + d
	for _, pa := range p.acts {
		onset = max(onset, pa.end()+PersonPause)
	}
	tg := target(Step{Actions: []Action{a}})
	if tg == Neutral {
		return onset, nil
	}
	rise := time.Duration(easeOf(a.Code, 10) * float64(time.Second))
	p.acts = append(p.acts, personAct{target: tg, onset: onset, rise: rise, release: -1, repeats: PersonRepeats})
	return onset, nil
}

// Release tells the person, at time at, that the gesture was accepted or
// the try is over: a held pose goes back to neutral once held PersonMinHold.
func (p *Person) Release(at time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releaseLocked(at)
}

func (p *Person) releaseLocked(at time.Duration) {
	kept := p.acts[:0]
	for _, a := range p.acts {
		if a.onset > at {
			continue // planned, not started: no longer wanted
		}
		if a.release < 0 {
			a.release = at
		}
		kept = append(kept, a)
	}
	p.acts = kept
}

// Reset forgets every gesture, planned or made: the face is neutral at once
// (a new attempt).
func (p *Person) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acts = nil
}

// State is the face at time t (without the natural motion, which the
// renderer adds: see Live.Frame).
func (p *Person) State(t time.Duration) State {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Nothing happened: the person tries again after a pause, as people
	// do when their gesture was not taken.
	if n := len(p.acts); n > 0 {
		if a := p.acts[n-1]; a.release < 0 && a.repeats > 0 && t >= a.end()+PersonPause {
			a.onset, a.repeats = a.end()+PersonPause, a.repeats-1
			p.acts = append(p.acts, a)
		}
	}
	s := Neutral
	for _, a := range p.acts {
		k := a.amount(t)
		if k == 0 {
			continue
		}
		s.Yaw += k * a.target.Yaw
		s.Pitch += k * a.target.Pitch
		s.LeftEye -= k * (1 - a.target.LeftEye)
		s.RightEye -= k * (1 - a.target.RightEye)
		s.Mouth += k * a.target.Mouth
	}
	s.LeftEye, s.RightEye = clamp01(s.LeftEye), clamp01(s.RightEye)
	s.Mouth = clamp01(s.Mouth)
	return s
}

// held is how long after its onset the act leaves its pose.
func (a personAct) held() time.Duration {
	held := a.rise + PersonMaxHold
	if a.release >= 0 {
		held = min(held, max(a.release-a.onset, a.rise+PersonMinHold))
	}
	return held
}

// end is when the face is back to neutral.
func (a personAct) end() time.Duration { return a.onset + a.held() + a.rise }

// amount is how far into its pose the act is at t, 0..1.
func (a personAct) amount(t time.Duration) float64 {
	u := t - a.onset
	if u <= 0 {
		return 0
	}
	if u < a.rise {
		return ease(float64(u) / float64(a.rise))
	}
	held := a.held()
	if u < held {
		return 1
	}
	return 1 - ease(float64(u-held)/float64(a.rise))
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }

// Actor is a Person rendered live: the camera's picture of a user who reacts
// to the server (the reactive test client's face; it has the methods of
// capture/client.Actor). Frame is for one goroutine, the sender; the others
// may come from any.
type Actor struct {
	Live   *Live
	Person *Person
}

// Frame renders the person at time t.
func (a *Actor) Frame(t time.Duration) *image.YCbCr {
	return a.Live.Frame(t, a.Person.State(t)).YCbCr()
}

// Instruct passes the server's instruction to the person; a gesture the
// person does not know leaves the face neutral (the try then times out, as
// with a user who does not understand).
func (a *Actor) Instruct(gesture string, t time.Duration) { _, _ = a.Person.Instruct(gesture, t) }

// Release tells the person the gesture was accepted or its try is over.
func (a *Actor) Release(t time.Duration) { a.Person.Release(t) }

// Reset starts a new attempt from the neutral face.
func (a *Actor) Reset() { a.Person.Reset() }
