package main

import (
	"context"
	"errors"
)

func init() {
	register("statements", "write the statements of a month as PDF and CSV", cmdStatements)
}

// cmdStatements is not built yet.
func cmdStatements(ctx context.Context, a *app, args []string) error {
	return errors.New("statements: not built yet")
}
