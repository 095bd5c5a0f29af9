package chstore

import (
	"context"
	"fmt"
	"regexp"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Administration: what runs on a database or a table as a whole. ClickHouse cannot bind
// an identifier, so each name is checked to be a plain identifier and quoted; a value is
// always bound.

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// quoteIdent returns name quoted as a ClickHouse identifier, or an error when it is not
// a plain identifier (letters, digits, underscore; not starting with a digit).
func quoteIdent(name string) (string, error) {
	if !identRE.MatchString(name) {
		return "", fmt.Errorf("%q is not a plain identifier (letters, digits and _)", name)
	}
	return "`" + name + "`", nil
}

// ident is an identifier checked by newIdent and quoted: the only form in which a name
// that cannot be bound (a database, a table, a column) is written into a statement.
type ident string

// newIdent is name checked and quoted (see quoteIdent).
func newIdent(name string) (ident, error) {
	q, err := quoteIdent(name)
	return ident(q), err
}

// dropDatabase drops a database with its tables, if it exists; on every node of cluster
// when set (a cluster name is checked by Config.Validate).
type dropDatabase struct {
	db      ident
	cluster string
}

func (q dropDatabase) toSQL() (string, []any) {
	sql := "DROP DATABASE IF EXISTS " + string(q.db)
	if q.cluster != "" {
		sql += " ON CLUSTER " + q.cluster
	}
	return sql, nil
}

// DropDatabase drops database name with all its tables, if it exists (the demo's own
// database, a test's or a benchmark's). The store's own database can be dropped too; the
// store is then unusable until reopened.
func (s *Store) DropDatabase(ctx context.Context, name string) error {
	db, err := newIdent(name)
	if err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	st := dropDatabase{db: db}
	if s.cluster != nil {
		st.cluster = s.cluster.name // on every node
	}
	if err := execOn(ctx, s.conn, st); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// countQuery is a query of one count.
type countQuery struct {
	sql  string
	args []any
}

func (q countQuery) toSQL() (string, []any) { return q.sql, q.args }

func (countQuery) scan(row driver.Row) (uint64, error) {
	var n uint64
	err := row.Scan(&n)
	return n, err
}

// tableRowsQuery counts the rows of a table of the store's database, as stored.
func tableRowsQuery(table ident) countQuery {
	return countQuery{sql: "SELECT count() FROM " + string(table)}
}

// activePartsQuery counts the active data parts of a table.
func activePartsQuery(db, table string) countQuery {
	return countQuery{sql: "SELECT count() FROM system.parts WHERE database = ? AND table = ? AND active", args: []any{db, table}}
}

// runningMergesQuery counts the merges the server runs now, in any database.
func runningMergesQuery() countQuery { return countQuery{sql: "SELECT count() FROM system.merges"} }

// sampleMergesQuery counts the merges the server runs now on the samples of database db.
func sampleMergesQuery(db string) countQuery {
	return countQuery{sql: "SELECT count() FROM system.merges WHERE database = ? AND table IN ('usage_samples', 'usage_samples_local')", args: []any{db}}
}

// RowCount is the number of rows of table in the store's database (as stored: before
// any deduplication by ReplacingMergeTree).
func (s *Store) RowCount(ctx context.Context, table string) (uint64, error) {
	t, err := newIdent(table)
	if err != nil {
		return 0, fmt.Errorf("row count: %w", err)
	}
	n, err := runRow(ctx, s.conn, tableRowsQuery(t))
	if err != nil {
		return 0, fmt.Errorf("row count of %s: %w", table, err)
	}
	return n, nil
}

// ActiveParts is the number of active data parts of table in the store's database.
func (s *Store) ActiveParts(ctx context.Context, table string) (uint64, error) {
	n, err := runRow(ctx, s.conn, activePartsQuery(s.db, table))
	if err != nil {
		return 0, fmt.Errorf("active parts of %s: %w", table, err)
	}
	return n, nil
}

// RunningMerges is the number of merges the server runs now, in any database.
func (s *Store) RunningMerges(ctx context.Context) (uint64, error) {
	n, err := runRow(ctx, s.conn, runningMergesQuery())
	if err != nil {
		return 0, fmt.Errorf("running merges: %w", err)
	}
	return n, nil
}
