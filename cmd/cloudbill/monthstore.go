package main

import (
	"context"

	"cloudbill/monthclose"
	"cloudbill/schedule"
	"cloudbill/sql"
	"cloudbill/statements/breakdown"
)

// The store is what closing, the breakdown and the scheduler read and write.
var (
	_ monthclose.Store   = (*chstore.Store)(nil)
	_ monthclose.Claimer = (*chstore.Store)(nil)
	_ breakdown.Reader   = (*chstore.Store)(nil)
	_ schedule.Store     = (*chstore.Store)(nil)
)

// monthStore opens the store as the month-close store.
func (a *app) monthStore(ctx context.Context) (monthclose.Store, error) {
	return a.Store(ctx)
}
