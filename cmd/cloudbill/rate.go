package main

import (
	"context"
	"errors"
)

func init() {
	register("rate", "rate a month", cmdRate)
}

// cmdRate is not built yet.
func cmdRate(ctx context.Context, a *app, args []string) error {
	return errors.New("rate: not built yet")
}
