package main

import (
	"context"
	"errors"
)

func init() {
	register("breakdown", "show a department's charges by project, order, item and day", cmdBreakdown)
}

// cmdBreakdown is not built yet.
func cmdBreakdown(ctx context.Context, a *app, args []string) error {
	return errors.New("breakdown: not built yet")
}
