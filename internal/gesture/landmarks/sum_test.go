package landmarks

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumLeavesMatchesGo checks sumLeaves (on amd64 with AVX, the assembly)
// against the portable additions bit for bit, over leaf lengths around the
// register blocks, offsets that leave leaves unaligned, and values whose sums
// round differently in another order.
func TestSumLeavesMatchesGo(t *testing.T) {
	if !useAVX {
		t.Log("no AVX on this CPU: sumLeaves is the portable path")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 8, 9, 16, 127, 128, 129, 135, 136, 137, 256, 300} {
		for _, trees := range []int{0, 1, 3, 4, 5, 500} {
			leaves := make([]float32, 1+trees*n+13)
			for i := range leaves {
				// Magnitudes from 1e-4 to 1e2: adding them in another
				// order than one after another changes float32 sums.
				leaves[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-4)))
			}
			offs := make([]int, trees)
			for i := range offs {
				offs[i] = r.IntN(len(leaves) - n + 1)
			}
			want := make([]float32, n)
			for i := range want {
				want[i] = float32(r.NormFloat64())
			}
			got := append([]float32(nil), want...)
			sumLeavesGo(want, leaves, offs)
			sumLeaves(got, leaves, offs)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n %d, %d trees: element %d = %v; want %v", n, trees, i, got[i], want[i])
				}
			}
		}
	}
}

func TestSumLeavesChecksOffsets(t *testing.T) {
	dst := make([]float32, 16)
	leaves := make([]float32, 40)
	for _, o := range []int{-1, 25} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("offset %d of %d leaves for 16 sums: no panic", o, len(leaves))
				}
			}()
			sumLeaves(dst, leaves, []int{0, o})
		}()
	}
}

// BenchmarkSumLeaves times one level's sums (500 leaves of 136 float32 from a
// 4.4 MB level, the size of the 68-point model's) with and without AVX.
func BenchmarkSumLeaves(b *testing.B) {
	const n, trees, nLeaf = 136, 500, 16
	r := rand.New(rand.NewPCG(3, 4))
	leaves := make([]float32, trees*nLeaf*n)
	for i := range leaves {
		leaves[i] = float32(r.NormFloat64())
	}
	offs := make([]int, trees)
	dst := make([]float32, n)
	bothSumPaths(b, func(b *testing.B) {
		for b.Loop() {
			for t := range offs {
				offs[t] = (t*nLeaf + r.IntN(nLeaf)) * n
			}
			sumLeaves(dst, leaves, offs)
		}
	})
}

// bothSumPaths runs bench as sub-benchmark "go" with sumLeaves' portable
// path and, where the CPU has AVX, "avx" with the assembly.
func bothSumPaths(b *testing.B, bench func(b *testing.B)) {
	for _, avx := range []bool{false, true} {
		name := "go"
		if avx {
			name = "avx"
			if !useAVX {
				continue
			}
		}
		b.Run(name, func(b *testing.B) {
			old := useAVX
			useAVX = avx
			defer func() { useAVX = old }()
			bench(b)
		})
	}
}
