package landmarks

import "golang.org/x/sys/cpu"

// useAVX says the CPU and the OS support AVX's 256-bit registers. A variable,
// so that the test can compare both paths on one machine.
var useAVX = cpu.X86.HasAVX

// sumLeaves is sumLeavesGo with the additions done eight lanes at a time in
// AVX registers. Each lane still adds the leaves one after another in offs'
// order, rounding after each addition, so the sums are sumLeavesGo's bit for
// bit. A prediction reads 7,500 leaves of 136 float32 (4 MB) from a 65 MB
// table; here 128 of the sums stay in sixteen registers across a level's 500
// leaves, so each leaf is a run of loads with no stores in between (the Go
// path loads and stores the sums every four leaves), and eight lanes add at
// once.
func sumLeaves(dst, leaves []float32, offs []int) {
	n := len(dst)
	if !useAVX || n < 8 || len(offs) == 0 {
		sumLeavesGo(dst, leaves, offs)
		return
	}
	// The assembly does not check bounds: every leaf must lie in leaves.
	for _, o := range offs {
		if o < 0 || o > len(leaves)-n {
			panic("landmarks: sumLeaves: leaf offset out of range")
		}
	}
	i := 0
	for ; i+128 <= n; i += 128 {
		addLeaves128(&dst[i], &leaves[i], offs)
	}
	for ; i+8 <= n; i += 8 {
		addLeaves8(&dst[i], &leaves[i], offs)
	}
	if i < n {
		// The last 1–7 elements: sumLeavesGo's lanes are independent, so adding
		// them on their own gives the same sums.
		sumLeavesGo(dst[i:], leaves[i:], offs)
	}
}

// addLeaves128 adds src[o:o+128] to dst[:128] for each o in offs, in order.
//
//go:noescape
func addLeaves128(dst, src *float32, offs []int)

// addLeaves8 adds src[o:o+8] to dst[:8] for each o in offs, in order.
//
//go:noescape
func addLeaves8(dst, src *float32, offs []int)
