package main

import (
	"context"
	"errors"
)

func init() {
	register("orders", "import work-order events", cmdOrders)
}

// cmdOrders is not built yet.
func cmdOrders(ctx context.Context, a *app, args []string) error {
	return errors.New("orders: not built yet")
}
