// Command server runs livegate: the REST API, the end user's pages, the demo,
// health checks and metrics, configured by environment variables (see the
// README). The wiring is internal/server; main only adds the process: its
// signals, its arguments and its exit status.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/livegate/livegate/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) == 2 && os.Args[1] == "-healthcheck" {
		if err := server.Healthcheck(ctx, os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, "livegate: unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "livegate: takes no arguments (configuration is by environment; see the README), or -healthcheck")
		os.Exit(2)
	}
	stopProfile, err := cpuProfile(os.Getenv("LIVEGATE_CPU_PROFILE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "livegate:", err)
		os.Exit(1)
	}
	err = server.Run(ctx, server.Options{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
	stopProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "livegate:", err)
		os.Exit(1)
	}
}

// cpuProfile starts a CPU profile written to path when path is set (a
// debugging aid, off by default: LIVEGATE_CPU_PROFILE, see the README's
// "Load"); the returned function stops it and closes the file when the
// server has shut down.
func cpuProfile(path string) (stop func(), err error) {
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
			fmt.Fprintln(os.Stderr, "livegate: LIVEGATE_CPU_PROFILE:", err)
		}
	}, nil
}
