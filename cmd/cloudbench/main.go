// Command cloudbench measures cloudbill on realistic volumes and prints the figures the
// issues ask for. `make bench` runs every benchmark; `go run ./cmd/cloudbench NAME...`
// runs some. Each benchmark lives in a file of its own and has one line in benchmarks; it
// prints its details as it goes and returns its figures, and the table of every figure
// (value, reference, ratio, goal, met, load average, command) is printed after the last.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

type benchmark struct {
	name string
	run  func(ctx context.Context) ([]figure, error)
}

// benchmarks is every benchmark, in the order `make bench` runs them.
func benchmarks() []benchmark {
	return []benchmark{
		{"gen", benchGen},
		{"import", benchImport},
		{"ingest", benchIngest},
		{"collect", benchCollect},
		{"rate", benchRate},
		{"idle", benchIdle},
		{"close", benchClose},
		{"statements", benchStatements},
		{"focus", benchFocus},
		{"reconcile", benchReconcile},
		{"cluster", benchCluster},
		{"portal", benchPortal},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	all := benchmarks()
	byName := make(map[string]benchmark, len(all))
	var names []string
	for _, b := range all {
		byName[b.name] = b
		names = append(names, b.name)
	}
	// on request only (make bench-city): the city month end to end, about 7 minutes
	byName["city"] = benchmark{"city", benchCity}
	// on request only: the portal's screenshot tour on `make demo`'s data
	byName["tour"] = benchmark{"tour", benchTour}
	if len(os.Args) > 1 {
		names = os.Args[1:]
	}
	failed := false
	var figs []figure
	for _, n := range names {
		b, ok := byName[n]
		if !ok {
			fmt.Fprintf(os.Stderr, "cloudbench: unknown benchmark %q\n", n)
			os.Exit(2)
		}
		if os.Getenv(statementsChild) == "" { // a benchmark's child process prints no header
			fmt.Printf("== %s\n", n)
		}
		fs, err := b.run(ctx)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cloudbench %s: %v\n", n, err)
			failed = true
		}
		figs = append(figs, fs...)
	}
	if os.Getenv(statementsChild) != "" {
		if err := writeFigures(figs); err != nil {
			fmt.Fprintf(os.Stderr, "cloudbench: %v\n", err)
			failed = true
		}
	} else {
		printTable(os.Stdout, figs)
	}
	if failed {
		os.Exit(1)
	}
}
