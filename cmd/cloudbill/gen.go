package main

import (
	"context"
	"errors"
)

func init() {
	register("gen", "generate a consistent district dataset (master data, orders, samples)", cmdGen)
}

// cmdGen is not built yet.
func cmdGen(ctx context.Context, a *app, args []string) error {
	return errors.New("gen: not built yet")
}
