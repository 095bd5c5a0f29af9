package main

import (
	"context"
	"errors"
)

func init() {
	register("reconcile", "reconcile a vendor's invoice against the rated month", cmdReconcile)
}

// cmdReconcile is not built yet.
func cmdReconcile(ctx context.Context, a *app, args []string) error {
	return errors.New("reconcile: not built yet")
}
