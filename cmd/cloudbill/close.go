package main

import (
	"context"
	"errors"
)

func init() {
	register("close", "close (freeze) a rated month", cmdClose)
}

// cmdClose is not built yet.
func cmdClose(ctx context.Context, a *app, args []string) error {
	return errors.New("close: not built yet")
}
