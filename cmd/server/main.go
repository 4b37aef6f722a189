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
	err := server.Run(ctx, server.Options{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "livegate:", err)
		os.Exit(1)
	}
}
