package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"cloudbill/access"
	"cloudbill/portal"
	chstore "cloudbill/sql"
)

// The ClickHouse store is what the portal reads and writes.
var _ portal.Store = (*chstore.Store)(nil)

// portalHandler makes the portal and its JSON API on the store. secure marks
// its cookies Secure (TLS here or in front). A month the portal closes gets its final
// statements issued under DATA-DIR/statements and archived.
func (a *app) portalHandler(ctx context.Context, store *chstore.Store, secure bool, logf func(string, ...any), audit func(action string)) (http.Handler, error) {
	var as access.Store = store
	if audit != nil {
		as = countingAudit{Store: store, count: audit} // sign-in failures reach /metrics
	}
	svc, err := access.New(access.Config{Store: as, Now: a.now, IdleTimeout: 30 * time.Minute})
	if err != nil {
		return nil, err
	}
	uc, err := a.useCases(ctx)
	if err != nil {
		return nil, err
	}
	p, err := portal.New(portal.Config{Store: store, Access: svc, App: uc, Now: a.now, Secure: secure, Logf: logf})
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	go func() { // the latest months' figures, ahead of the first request
		if err := p.Warm(ctx); err != nil {
			logf("portal: warm: %v", err)
		}
	}()
	return p.Handler(), nil
}
