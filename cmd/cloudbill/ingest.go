package main

import (
	"context"
	"errors"
)

func init() {
	register("ingest", "load usage samples from CSV or NDJSON files", cmdIngest)
}

// cmdIngest is not built yet.
func cmdIngest(ctx context.Context, a *app, args []string) error {
	return errors.New("ingest: not built yet")
}
