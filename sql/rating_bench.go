package chstore

import (
	"context"
	"fmt"
	"time"
)

// SettleMerges waits until ClickHouse has no merge running on usage_samples (the state of
// a month ingested over weeks, not seconds), at most for limit.
func (s *Store) SettleMerges(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		n, err := runRow(ctx, s.conn, sampleMergesQuery(s.db))
		if err != nil {
			return fmt.Errorf("watch merges: %w", err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil
}
