package gesture

import (
	"testing"
	"time"
)

func TestClosureFilter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		fps  int
		in   []float64
		want []float64
	}{
		{"a lone closed frame is dropped", 15, []float64{0, 0, 2, 0, 0}, []float64{0, 0, 0, 0, 0}},
		{"a lone open frame in a closure is dropped", 15, []float64{2, 2, 2, 0, 2, 2}, []float64{2, 2, 2, 2, 2, 2}},
		{"a closure keeps its length, one frame later", 15, []float64{0, 0, 2, 2, 2, 0, 0, 0}, []float64{0, 0, 0, 2, 2, 2, 0, 0}},
		{"7 frames/s is filtered", 7, []float64{0, 0, 2, 0, 0}, []float64{0, 0, 0, 0, 0}},
		{"5 frames/s is not", 5, []float64{0, 0, 2, 0, 0}, []float64{0, 0, 2, 0, 0}},
		{"the first two frames pass as they are", 15, []float64{2, 0, 0}, []float64{2, 0, 0}},
	}
	for _, tc := range tests {
		var f closureFilter
		dt := time.Second / time.Duration(tc.fps)
		for i, v := range tc.in {
			// The right eye reads the mirror image, to show both are filtered.
			l, r := f.add(t0.Add(time.Duration(i)*dt), v, 2-v)
			if l != tc.want[i] || r != 2-tc.want[i] {
				t.Errorf("%s: frame %d: got %v, %v; want %v, %v", tc.name, i, l, r, tc.want[i], 2-tc.want[i])
			}
		}
	}
	var f closureFilter
	f.add(t0, 2, 2)
	f.add(t0.Add(66*time.Millisecond), 2, 2)
	f.reset()
	if l, _ := f.add(t0.Add(133*time.Millisecond), 0, 0); l != 0 {
		t.Errorf("after reset: got %v; want the frame's own 0", l)
	}
}
