package main

import (
	"context"
	"errors"

	"cloudbill/invoicing/monthclose"
)

// monthStore opens the store as the month-close store.
// (Transitional: the rating store methods RatedLines and LatestRun are being built; until
// they are, close and breakdown report that rating storage is missing.)
func (a *app) monthStore(ctx context.Context) (monthclose.Store, error) {
	s, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	var st any = s
	ms, ok := st.(monthclose.Store)
	if !ok {
		return nil, errors.New("rated months are not stored yet (rating storage not built)")
	}
	return ms, nil
}
