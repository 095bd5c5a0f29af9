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

// rowQuery is a query that yields one row, read into R (a count, the server's clock).
type rowQuery[R any] interface {
	toSQL() (string, []any)
	scan(row driver.Row) (R, error)
}

// runRow runs q on conn and scans its row.
func runRow[R any](ctx context.Context, conn driver.Conn, q rowQuery[R]) (R, error) {
	sql, args := q.toSQL()
	return q.scan(conn.QueryRow(ctx, sql, args...))
}

// statement is a statement that yields no rows (an INSERT ... SELECT, an ALTER, a
// CREATE or DROP, a SYSTEM command): toSQL returns it and its bound arguments.
// Identifiers that ClickHouse cannot bind are checked by the type before they are
// written into the SQL (quoteIdent, or a list of the tables a statement may name).
type statement interface {
	toSQL() (string, []any)
}

// execOn runs st on conn (an INSERT carries the insert settings of conn's server: see
// insertConn).
func execOn(ctx context.Context, conn driver.Conn, st statement) error {
	sql, args := st.toSQL()
	return conn.Exec(ctx, sql, args...)
}

// blockInsert is the insert of n rows as one block: toSQL returns the INSERT (table and
// columns), row(i) the values of row i in the columns' order.
type blockInsert interface {
	toSQL() string
	rows() int
	row(i int) []any
}

// insertBlock stores the rows of ins as one block (see batch); none is a no-op.
func (s *Store) insertBlock(ctx context.Context, ins blockInsert) error {
	return s.batch(ctx, ins.toSQL(), ins.rows(), ins.row)
}
