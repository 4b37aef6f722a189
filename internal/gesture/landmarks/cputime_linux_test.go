package landmarks

import "syscall"

// threadCPU returns the CPU time the calling OS thread has used, in nanoseconds. On a
// shared machine it measures the work of a benchmark, not the time spent waiting for a
// core; lock the goroutine to its thread around it.
func threadCPU() int64 {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
