package main

import (
	"context"
	"errors"
)

func init() {
	register("catalog", "import a catalog version, adaptations, or show prices in force", cmdCatalog)
}

// cmdCatalog is not built yet.
func cmdCatalog(ctx context.Context, a *app, args []string) error {
	return errors.New("catalog: not built yet")
}
