package main

import (
	"context"
	"errors"
)

func init() {
	register("demo", "run the main job end to end on a generated district", cmdDemo)
}

// cmdDemo is not built yet.
func cmdDemo(ctx context.Context, a *app, args []string) error {
	return errors.New("demo: not built yet")
}
