package chstore

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/internal/calendar"
	"cloudbill/monthclose"
)

// RatedPeriods lists the months that have at least one rating run, oldest first.
func (s *Store) RatedPeriods(ctx context.Context) ([]calendar.Period, error) {
	var out []calendar.Period
	err := s.scan(ctx, "SELECT DISTINCT period FROM rating_runs ORDER BY period", func(r driver.Rows) error {
		var key uint32
		if err := r.Scan(&key); err != nil {
			return err
		}
		out = append(out, calendar.PeriodOfKey(key))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read rated months: %w", err)
	}
	return out, nil
}

// CloseClaims lists the live claims on month p's close (at most one holds it; others
// may be settling), earliest first.
func (s *Store) CloseClaims(ctx context.Context, p calendar.Period) ([]monthclose.Claim, error) {
	cs, now, err := s.claims(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []monthclose.Claim
	for _, c := range liveClaims(cs, now) {
		out = append(out, monthclose.Claim{Period: p, Holder: c.holder, Host: c.host, PID: c.pid, Since: c.claimedAt.UTC().Format("2006-01-02 15:04:05")})
	}
	return out, nil
}
