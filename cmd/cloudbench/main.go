// Command cloudbench measures cloudbill on realistic volumes and prints the figures the
// issues ask for. `make bench` runs every benchmark; `go run ./cmd/cloudbench NAME...`
// runs some. Each benchmark lives in a file of its own and registers itself.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

type benchmark struct {
	order int
	run   func(ctx context.Context) error
}

var benchmarks = map[string]benchmark{}

func register(name string, order int, run func(ctx context.Context) error) {
	benchmarks[name] = benchmark{order: order, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	names := os.Args[1:]
	if len(names) == 0 {
		for n := range benchmarks {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return benchmarks[names[i]].order < benchmarks[names[j]].order })
	}
	failed := false
	for _, n := range names {
		b, ok := benchmarks[n]
		if !ok {
			fmt.Fprintf(os.Stderr, "cloudbench: unknown benchmark %q\n", n)
			os.Exit(2)
		}
		if os.Getenv(statementsChild) == "" { // a benchmark's child process prints no header
			fmt.Printf("== %s\n", n)
		}
		if err := b.run(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "cloudbench %s: %v\n", n, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
