package main

import (
	"context"
	"errors"
)

func init() {
	register("acceptance", "import acceptance records", cmdAcceptance)
}

// cmdAcceptance is not built yet.
func cmdAcceptance(ctx context.Context, a *app, args []string) error {
	return errors.New("acceptance: not built yet")
}
