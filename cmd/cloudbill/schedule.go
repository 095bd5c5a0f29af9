package main

import "context"

// startScheduler starts the month-close schedule inside `serve` and returns a function
// that stops it and waits for a running job to end. (Built by the schedule work.)
func startScheduler(ctx context.Context, a *app) (stop func(), err error) {
	return func() {}, nil
}
