package chstore

import (
	"context"
	"regexp"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// addColumnRE matches a migration's `ALTER TABLE t ADD COLUMN c ...` (single-server
// form). ClickHouse 18.16 does not parse ADD COLUMN IF NOT EXISTS, and a migration must
// be re-runnable (one interrupted after the ALTER and before its record runs again): the
// runner asks whether the column is there first and skips the statement when it is.
var addColumnRE = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+ADD\s+COLUMN\s+([A-Za-z_][A-Za-z0-9_]*)\s`)

// columnCountQuery counts column column of table table in database db (0 or 1).
type columnCountQuery struct{ db, table, column string }

func (q columnCountQuery) toSQL() (string, []any) {
	return `SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?`, []any{q.db, q.table, q.column}
}

func (columnCountQuery) scan(rows driver.Rows) ([]uint64, error) { return scanUint64s(rows) }

// columnAdded reports whether stmt is an ADD COLUMN whose column already exists (then it
// is skipped).
func (s *Store) columnAdded(ctx context.Context, stmt string) (bool, error) {
	m := addColumnRE.FindStringSubmatch(stmt)
	if m == nil {
		return false, nil
	}
	n, err := runQuery(ctx, s.conn, columnCountQuery{db: s.db, table: m[1], column: m[2]})
	if err != nil {
		return false, err
	}
	return len(n) == 1 && n[0] > 0, nil
}
