package chstore

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// InsertClose records a month as closed. The caller checks first that it is not closed
// already (period_closes is a ReplacingMergeTree keyed by period: a second row for the
// same month would replace the first, so never write one).
//
// In cluster mode a month is not closed while a shard does not answer (ErrShardDown):
// its samples may hold news the run has not seen, and the close must not rest on part of
// the data.
func (s *Store) InsertClose(ctx context.Context, c rating.Close) error {
	if err := s.CheckShards(ctx); err != nil {
		return fmt.Errorf("record close of %s: %w", c.Period, err)
	}
	if err := s.insertOne(ctx, closeInsert{c}); err != nil {
		return fmt.Errorf("record close of %s: %w", c.Period, err)
	}
	return nil
}

// closeInsert records a month's close.
type closeInsert struct{ c rating.Close }

func (q closeInsert) toSQL() (string, []any) {
	c := q.c
	pending := make([]string, len(c.Pending))
	for i, v := range c.Pending {
		pending[i] = string(v)
	}
	return "INSERT INTO period_closes (period, closed_at, run_id, content_hash, allow_pending, pending, lines, total, closed_by)",
		[]any{c.Period.Key(), c.ClosedAt.UTC(), c.RunID, c.ContentHash, flag(c.AllowPending), pending, uint64(c.Lines), c.Total, c.ClosedBy}
}

// closesQuery reads the closed months, oldest first; with period set, only that month's
// close (none when it is open).
type closesQuery struct {
	period *calendar.Period
}

func (q closesQuery) toSQL() (string, []any) {
	sql := `SELECT period, closed_at, run_id, content_hash, allow_pending, pending, lines, total, closed_by
FROM period_closes FINAL`
	var args []any
	if q.period != nil {
		sql += " WHERE period = ?"
		args = append(args, q.period.Key())
	}
	return sql + " ORDER BY period", args
}

func (q closesQuery) scan(rows driver.Rows) ([]rating.Close, error) {
	var out []rating.Close
	for rows.Next() {
		var (
			key     uint32
			c       rating.Close
			allow   uint8
			pending []string
			lines   uint64
			total   decimal.Decimal
		)
		if err := rows.Scan(&key, &c.ClosedAt, &c.RunID, &c.ContentHash, &allow, &pending, &lines, &total, &c.ClosedBy); err != nil {
			return nil, err
		}
		c.Period = calendar.PeriodOfKey(key)
		c.AllowPending = allow == 1
		for _, p := range pending {
			c.Pending = append(c.Pending, catalog.VendorID(p))
		}
		c.Lines = int(lines)
		c.Total = total
		out = append(out, c)
	}
	return out, rows.Err()
}

// queryCloses runs q.
func (s *Store) queryCloses(ctx context.Context, q closesQuery) ([]rating.Close, error) {
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read closes: %w", err)
	}
	return out, nil
}

// Closes returns every closed month, oldest first.
func (s *Store) Closes(ctx context.Context) ([]rating.Close, error) {
	return s.queryCloses(ctx, closesQuery{})
}

// CloseOf returns the close of month p; ok is false when p is open.
func (s *Store) CloseOf(ctx context.Context, p calendar.Period) (c rating.Close, ok bool, err error) {
	cs, err := s.queryCloses(ctx, closesQuery{period: &p})
	if err != nil || len(cs) == 0 {
		return rating.Close{}, false, err
	}
	return cs[0], true, nil
}
