package landmarks

import (
	"bytes"
	"math"
)

// encoder writes dlib's serialisation format, so tests can build small models whose
// predictions are known exactly.
type encoder struct{ bytes.Buffer }

func (e *encoder) int(v int64) {
	neg := byte(0)
	u := uint64(v)
	if v < 0 {
		neg = 0x80
		u = uint64(-v)
	}
	var buf [8]byte
	n := 0
	for {
		buf[n] = byte(u)
		n++
		u >>= 8
		if u == 0 {
			break
		}
	}
	e.WriteByte(byte(n) | neg)
	e.Write(buf[:n])
}

func (e *encoder) float(f float32) {
	if f == 0 {
		e.int(0)
		e.int(0)
		return
	}
	frac, exp := math.Frexp(float64(f))
	// 24 significant bits are exact for a float32.
	e.int(int64(frac * (1 << 24)))
	e.int(int64(exp - 24))
}

func (e *encoder) column(v []float32) {
	e.int(-int64(len(v)))
	e.int(-1)
	for _, f := range v {
		e.float(f)
	}
}

type testTree struct {
	splits [][3]float64 // idx1, idx2, thresh
	leaves [][]float32
}

type testModel struct {
	mean    []float32
	forests [][]testTree
	anchors [][]int
	deltas  [][][2]float32
}

func (m testModel) encode() []byte {
	var e encoder
	e.int(1)
	e.column(m.mean)
	e.int(int64(len(m.forests)))
	for _, f := range m.forests {
		e.int(int64(len(f)))
		for _, t := range f {
			e.int(int64(len(t.splits)))
			for _, s := range t.splits {
				e.int(int64(s[0]))
				e.int(int64(s[1]))
				e.float(float32(s[2]))
			}
			e.int(int64(len(t.leaves)))
			for _, l := range t.leaves {
				e.column(l)
			}
		}
	}
	e.int(int64(len(m.anchors)))
	for _, a := range m.anchors {
		e.int(int64(len(a)))
		for _, v := range a {
			e.int(int64(v))
		}
	}
	e.int(int64(len(m.deltas)))
	for _, d := range m.deltas {
		e.int(int64(len(d)))
		for _, v := range d {
			e.float(v[0])
			e.float(v[1])
		}
	}
	return e.Bytes()
}
