package chstore

import (
	"context"
	"errors"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
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
	return runScan[[]R](ctx, conn, q)
}

// scanQuery is a query whose rows are read into one value T: a list (rowsQuery), a map
// (by case, by month), a sum.
type scanQuery[T any] interface {
	toSQL() (string, []any)
	scan(rows driver.Rows) (T, error)
}

// runScan runs q on conn and scans its rows into one value.
func runScan[T any](ctx context.Context, conn driver.Conn, q scanQuery[T]) (T, error) {
	var out T
	err := streamQuery(ctx, conn, q, func(rows driver.Rows) error {
		var err error
		out, err = q.scan(rows)
		return err
	})
	return out, err
}

// streamQuery runs q on conn and hands its rows to read, which reads them as they come
// (into blocks, into columns, into a caller's slice): for the large reads (a backup's
// table, stored samples) that are not held as one slice of rows. The rows are closed
// when read returns.
func streamQuery(ctx context.Context, conn driver.Conn, q statement, read func(rows driver.Rows) error) error {
	sql, args := q.toSQL()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return read(rows)
}

// rowInsert is the insert of one row: toSQL returns the INSERT (table and columns) and
// the row's values in the columns' order.
type rowInsert interface {
	toSQL() (string, []any)
}

// insertOne stores the row of ins through a native batch (the form that works on every
// server version: ClickHouse 18.16 does not take client-bound VALUES).
func (s *Store) insertOne(ctx context.Context, ins rowInsert) error {
	sql, values := ins.toSQL()
	return s.retry(ctx, func() error {
		return sendBlock(ctx, s.conn, sql, func(b driver.Batch) error { return b.Append(values...) })
	})
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

// insertBlock stores the rows of ins as one block (one block is inserted whole or not at
// all); none is a no-op.
func (s *Store) insertBlock(ctx context.Context, ins blockInsert) error {
	n := ins.rows()
	if n == 0 {
		return nil
	}
	return s.retry(ctx, func() error {
		return sendBlock(ctx, s.conn, ins.toSQL(), func(b driver.Batch) error {
			for i := 0; i < n; i++ {
				if err := b.Append(ins.row(i)...); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// errEmptyBlock, returned by the fill of sendBlock, aborts a block that has no rows:
// nothing is sent, and sendBlock returns nil.
var errEmptyBlock = errors.New("empty block")

// sendBlock prepares insert (an INSERT naming its table and columns) on conn, lets fill
// append the block's rows (row by row, or whole columns: the samples' columnar insert, a
// restored Native block) and sends it as one block. When fill fails the block is aborted
// and nothing is sent.
func sendBlock(ctx context.Context, conn driver.Conn, insert string, fill func(b driver.Batch) error) error {
	b, err := conn.PrepareBatch(ctx, insert)
	if err != nil {
		return err
	}
	if err := fill(b); err != nil {
		_ = b.Abort()
		if err == errEmptyBlock {
			return nil
		}
		return err
	}
	return b.Send()
}

// queryExternal runs q on conn with the external table that table builds (one for each
// query: an external table is sent with its query and not shared), and scans its rows.
func queryExternal[R any](ctx context.Context, conn driver.Conn, table func() (*ext.Table, error), q rowsQuery[R]) ([]R, error) {
	t, err := table()
	if err != nil {
		return nil, err
	}
	return runQuery(clickhouse.Context(ctx, clickhouse.WithExternalTable(t)), conn, q)
}

// rowsOfShards runs the query that query(samples) makes, with the external table that table
// builds: on a single server once, over usage_samples; on a cluster on every shard at once
// (eachShard), over its local table, each shard answering for the resources whose samples
// it holds. It returns the rows of every shard together, in no particular order. With
// catchUp, a shard's replica first takes every block its peer took (syncReplica) before
// it answers.
func rowsOfShards[R any](ctx context.Context, s *Store, table func() (*ext.Table, error), catchUp bool, query func(samples string) rowsQuery[R]) ([]R, error) {
	var (
		mu  sync.Mutex
		out []R
	)
	err := s.eachShard(ctx, "usage_samples", func(ctx context.Context, conn driver.Conn, samples string) error {
		if catchUp && s.cluster != nil {
			sctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
			err := syncReplica(sctx, conn, s.db, samples)
			cancel()
			if err != nil {
				return err
			}
		}
		mine, err := queryExternal(ctx, conn, table, query(samples))
		if err != nil {
			return err
		}
		mu.Lock()
		out = append(out, mine...)
		mu.Unlock()
		return nil
	})
	return out, err
}

// scanUint64s reads rows of one unsigned number each (counts, per shard or per table).
func scanUint64s(rows driver.Rows) ([]uint64, error) {
	var out []uint64
	for rows.Next() {
		var n uint64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
