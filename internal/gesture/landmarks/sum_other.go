//go:build !amd64

package landmarks

// useAVX is false off amd64: there is no assembly (the benchmarks read it).
var useAVX = false

// sumLeaves adds leaves[o:o+len(dst)] to dst for each o in offs, in order (see
// sumLeavesGo; amd64 has an AVX path).
func sumLeaves(dst, leaves []float32, offs []int) { sumLeavesGo(dst, leaves, offs) }
