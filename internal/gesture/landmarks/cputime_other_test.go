//go:build !linux

package landmarks

func threadCPU() int64 { return 0 }
