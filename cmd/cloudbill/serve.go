package main

import (
	"context"
	"errors"
)

func init() {
	register("serve", "run the ingest API and the scheduler", cmdServe)
}

// cmdServe is not built yet.
func cmdServe(ctx context.Context, a *app, args []string) error {
	return errors.New("serve: not built yet")
}
