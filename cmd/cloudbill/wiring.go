package main

import (
	"context"
	"path/filepath"

	usecase "cloudbill/app"
	"cloudbill/document/pdf"
	chstore "cloudbill/sql"
)

// The ClickHouse store is what the use cases read and write.
var _ usecase.Store = (*chstore.Store)(nil)

// useCases assembles the use cases (package app) on the store, once per process. The
// statements of a month closed through them go to DATA-DIR/statements.
func (a *app) useCases(ctx context.Context) (*usecase.App, error) {
	if a.uc != nil {
		return a.uc, nil
	}
	s, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	uc, err := usecase.New(usecase.Config{Store: s, Now: a.now, StatementsDir: filepath.Join(a.dataDir, "statements"), LoadFont: pdf.Load})
	if err != nil {
		return nil, err
	}
	a.uc = uc
	return uc, nil
}
