package server

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// cpuProfile starts a CPU profile written to path when path is set (a
// debugging aid, off by default: LIVEGATE_CPU_PROFILE, see the README's
// "Load"); the returned function stops it and closes the file once the
// server has shut down, reporting a failure to close on stderr.
func cpuProfile(path string, stderr io.Writer) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("LIVEGATE_CPU_PROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("LIVEGATE_CPU_PROFILE: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(stderr, "livegate: LIVEGATE_CPU_PROFILE:", err)
		}
	}, nil
}
