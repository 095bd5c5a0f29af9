package chstore

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/internal/calendar"
	"cloudbill/monthclose"
)

// ratedPeriodsQuery lists the months that have at least one rating run, oldest first.
type ratedPeriodsQuery struct{}

func (ratedPeriodsQuery) toSQL() (string, []any) {
	return "SELECT DISTINCT period FROM rating_runs ORDER BY period", nil
}

func (ratedPeriodsQuery) scan(rows driver.Rows) ([]calendar.Period, error) {
	var out []calendar.Period
	for rows.Next() {
		var key uint32
		if err := rows.Scan(&key); err != nil {
			return nil, err
		}
		out = append(out, calendar.PeriodOfKey(key))
	}
	return out, rows.Err()
}

// RatedPeriods lists the months that have at least one rating run, oldest first.
func (s *Store) RatedPeriods(ctx context.Context) ([]calendar.Period, error) {
	out, err := runQuery(ctx, s.conn, ratedPeriodsQuery{})
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
