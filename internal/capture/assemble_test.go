package capture

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// packetize splits frame into n RTP packets with VP8 payload descriptors
// (S bit on the first, marker on the last), like a sender.
func packetize(seq uint16, ts uint32, frame []byte, n int) []*rtp.Packet {
	var out []*rtp.Packet
	size := (len(frame) + n - 1) / n
	for i := 0; i < n; i++ {
		lo, hi := i*size, min((i+1)*size, len(frame))
		desc := byte(0)
		if i == 0 {
			desc = 0x10
		}
		out = append(out, &rtp.Packet{
			Header:  rtp.Header{SequenceNumber: seq + uint16(i), Timestamp: ts, Marker: i == n-1},
			Payload: append([]byte{desc}, frame[lo:hi]...),
		})
	}
	return out
}

type emitted struct {
	data []byte
	ts   uint32
	lost bool
}

func collect(out *[]emitted) func([]byte, uint32, bool) {
	return func(f []byte, ts uint32, lost bool) {
		*out = append(*out, emitted{bytes.Clone(f), ts, lost})
	}
}

func frameData(i int) []byte {
	return []byte(fmt.Sprintf("frame-%03d-%s", i, bytes.Repeat([]byte{byte(i)}, 40)))
}

// stream makes frames 0..n-1 of 3 packets each from sequence number seq0.
func stream(seq0 uint16, n int) [][]*rtp.Packet {
	var frames [][]*rtp.Packet
	for i := 0; i < n; i++ {
		frames = append(frames, packetize(seq0+uint16(3*i), uint32(3000*i), frameData(i), 3))
	}
	return frames
}

func TestAssemblerInOrderEmitsAtMarker(t *testing.T) {
	for _, seq0 := range []uint16{0, 65530} { // and across the wrap
		a, clk := newAssembler(512, 500*time.Millisecond), &fakeClock{step: time.Millisecond}
		var got []emitted
		for i, f := range stream(seq0, 5) {
			for _, p := range f {
				a.push(p, clk.tick(), collect(&got))
			}
			// Each frame is out as soon as its last packet is in.
			if len(got) != i+1 {
				t.Fatalf("seq0 %d: after frame %d, %d frames emitted; want %d", seq0, i, len(got), i+1)
			}
			if !bytes.Equal(got[i].data, frameData(i)) || got[i].ts != uint32(3000*i) || got[i].lost {
				t.Fatalf("seq0 %d: frame %d = %q ts %d lost %v", seq0, i, got[i].data, got[i].ts, got[i].lost)
			}
		}
	}
}

func TestAssemblerReorderAndDuplicates(t *testing.T) {
	a, clk := newAssembler(512, 500*time.Millisecond), &fakeClock{step: time.Millisecond}
	var got []emitted
	fs := stream(100, 3)
	order := []*rtp.Packet{fs[0][0], fs[0][2], fs[1][0], fs[0][1], fs[0][1], fs[1][2], fs[1][1], fs[2][1], fs[2][0], fs[2][2], fs[2][2]}
	for _, p := range order {
		a.push(p, clk.tick(), collect(&got))
	}
	if len(got) != 3 {
		t.Fatalf("%d frames; want 3", len(got))
	}
	for i, e := range got {
		if !bytes.Equal(e.data, frameData(i)) || e.lost {
			t.Errorf("frame %d = %q lost %v", i, e.data, e.lost)
		}
	}
}

func TestAssemblerGivesUpLostPacket(t *testing.T) {
	// One packet per millisecond; give up after 10 ms.
	a, clk := newAssembler(512, 10*time.Millisecond), &fakeClock{step: time.Millisecond}
	var got []emitted
	fs := stream(0, 10)
	for i, f := range fs {
		for j, p := range f {
			if i == 2 && j == 1 {
				continue // lost for good
			}
			a.push(p, clk.tick(), collect(&got))
		}
	}
	// Frame 2 (packets 6, 8 of 6..8) is given up once packet 6 waited more
	// than 10 ms; frames 3.. follow, the first flagged lost.
	var nums []int
	for _, e := range got {
		nums = append(nums, int(e.ts/3000))
	}
	want := []int{0, 1, 3, 4, 5, 6, 7, 8, 9}
	if fmt.Sprint(nums) != fmt.Sprint(want) {
		t.Fatalf("frames %v; want %v", nums, want)
	}
	for i, e := range got {
		if wantLost := nums[i] == 3; e.lost != wantLost {
			t.Errorf("frame %d lost=%v; want %v", nums[i], e.lost, wantLost)
		}
	}
	// A retransmission arriving after the give-up is ignored.
	a.push(fs[2][1], clk.tick(), collect(&got))
	if len(got) != len(want) {
		t.Errorf("late packet produced a frame")
	}
}

func TestAssemblerLostFirstPacket(t *testing.T) {
	a, clk := newAssembler(4, 0), &fakeClock{step: time.Millisecond} // count-based give-up only
	var got []emitted
	fs := stream(10, 4)
	for i, f := range fs {
		for j, p := range f {
			if i == 1 && j == 0 {
				continue
			}
			a.push(p, clk.tick(), collect(&got))
		}
	}
	var nums []int
	for _, e := range got {
		nums = append(nums, int(e.ts/3000))
	}
	if fmt.Sprint(nums) != "[0 2 3]" || !got[1].lost {
		t.Fatalf("frames %v (lost flags %v %v); want [0 2 3] with 2 lost", nums, got[1].lost, got)
	}
}

func TestAssemblerJumpResets(t *testing.T) {
	a, clk := newAssembler(512, 0), &fakeClock{step: time.Millisecond}
	var got []emitted
	for _, p := range stream(0, 1)[0] {
		a.push(p, clk.tick(), collect(&got))
	}
	for _, p := range stream(30000, 1)[0] { // a new sender
		a.push(p, clk.tick(), collect(&got))
	}
	if len(got) != 2 || !got[1].lost {
		t.Fatalf("got %d frames (%v); want 2, the second flagged lost", len(got), got)
	}
}

func TestAssemblerNoAllocs(t *testing.T) {
	a, clk := newAssembler(512, 10*time.Millisecond), &fakeClock{step: time.Millisecond}
	fs := stream(0, 64)
	emit := func([]byte, uint32, bool) {}
	for _, p := range fs[0] {
		a.push(p, clk.tick(), emit)
	}
	pkts := stream(3, 200)
	k := 0
	allocs := testing.AllocsPerRun(100, func() {
		for _, p := range pkts[k] {
			a.push(p, clk.tick(), emit)
		}
		k++
	})
	if allocs != 0 {
		t.Errorf("push allocates %.1f times per frame; want 0", allocs)
	}
}

// fakeClock advances by step on every tick.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) tick() time.Time {
	c.t = c.t.Add(c.step)
	return c.t
}

func BenchmarkAssemblerFrame(b *testing.B) {
	a, clk := newAssembler(512, 300*time.Millisecond), &fakeClock{step: time.Millisecond}
	frames := stream(0, 4096) // 3 packets each; wraps the sequence numbers
	emit := func([]byte, uint32, bool) {}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f := frames[i%len(frames)]
		if i%len(frames) == 0 && i > 0 {
			b.StopTimer()
			a = newAssembler(512, 300*time.Millisecond)
			b.StartTimer()
		}
		for _, p := range f {
			a.push(p, clk.tick(), emit)
		}
	}
}
