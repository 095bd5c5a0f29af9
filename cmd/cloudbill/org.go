package main

import (
	"context"
	"errors"
)

func init() {
	register("org", "import departments, projects and vendors", cmdOrg)
}

// cmdOrg is not built yet.
func cmdOrg(ctx context.Context, a *app, args []string) error {
	return errors.New("org: not built yet")
}
