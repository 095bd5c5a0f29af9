package chstore

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Queries as types: a query is a small type whose toSQL returns its SQL and the
// arguments bound to it (values are never pasted into the SQL), and whose scan reads its
// rows; an insert of one row is a type whose toSQL returns the INSERT and the row's
// values. query_test.go holds each one's SQL and arguments as text; the store's tests run
// them against a real server.

// rowsQuery is a query that yields rows of R.
type rowsQuery[R any] interface {
	toSQL() (string, []any)
	scan(rows driver.Rows) ([]R, error)
}

// runQuery runs q on conn and scans its rows.
func runQuery[R any](ctx context.Context, conn driver.Conn, q rowsQuery[R]) ([]R, error) {
	sql, args := q.toSQL()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return q.scan(rows)
}

// rowInsert is the insert of one row: toSQL returns the INSERT (table and columns) and
// the row's values in the columns' order.
type rowInsert interface {
	toSQL() (string, []any)
}

// insertOne stores the row of ins (see insertRow).
func (s *Store) insertOne(ctx context.Context, ins rowInsert) error {
	sql, values := ins.toSQL()
	return s.insertRow(ctx, sql, values...)
}
