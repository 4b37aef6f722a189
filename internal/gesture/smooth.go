package gesture

import "time"

// closureWindow is how far back closureFilter looks: three frames at
// 7 frames/s and faster (at 7 frames/s the third frame back is 286 ms old).
const closureWindow = 300 * time.Millisecond

// closureFilter takes the median of the eyes' closure scores over the last
// three frames. With sensor noise (a dim or backlit face, σ 8 grey levels)
// the eye contrast and the landmarks' aspect ratio move from frame to frame
// by as much as a closure does, so a closed eye reads open for a frame (which
// breaks the 600 ms hold of an eye closure) and an open one closed for a
// frame (which, in the latch, can last and read a closure as a wink). A
// median of three drops such lone frames and keeps a closure's length: a
// step in the scores comes one frame later and ends one frame later, so a
// blink is not lengthened. Frames further apart than closureWindow (a
// camera slower than 7 frames/s) are not filtered. It does not allocate.
type closureFilter struct {
	n int // frames kept, at most 3; t[0] and v[0] are the newest
	t [3]time.Time
	v [3][2]float64
}

// reset forgets the frames (no face, another face, a new baseline).
func (f *closureFilter) reset() { f.n = 0 }

// add feeds the frame at t with the closure scores l and r and returns
// them filtered.
func (f *closureFilter) add(t time.Time, l, r float64) (float64, float64) {
	f.t[2], f.t[1], f.t[0] = f.t[1], f.t[0], t
	f.v[2], f.v[1], f.v[0] = f.v[1], f.v[0], [2]float64{l, r}
	f.n = min(f.n+1, 3)
	if f.n < 3 || t.Sub(f.t[2]) > closureWindow || f.t[2].After(t) {
		return l, r
	}
	return med3([3]float64{f.v[0][0], f.v[1][0], f.v[2][0]}),
		med3([3]float64{f.v[0][1], f.v[1][1], f.v[2][1]})
}
