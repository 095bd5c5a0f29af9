package chstore

import (
	"context"
	"fmt"
	"regexp"
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

// DropDatabase drops database name with all its tables, if it exists (the demo's own
// database, a test's or a benchmark's). The store's own database can be dropped too; the
// store is then unusable until reopened.
func (s *Store) DropDatabase(ctx context.Context, name string) error {
	q, err := quoteIdent(name)
	if err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	stmt := "DROP DATABASE IF EXISTS " + q
	if s.cluster != nil {
		stmt += " ON CLUSTER " + s.cluster.name // on every node
	}
	if err := s.conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// RowCount is the number of rows of table in the store's database (as stored: before
// any deduplication by ReplacingMergeTree).
func (s *Store) RowCount(ctx context.Context, table string) (uint64, error) {
	q, err := quoteIdent(table)
	if err != nil {
		return 0, fmt.Errorf("row count: %w", err)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+q).Scan(&n); err != nil {
		return 0, fmt.Errorf("row count of %s: %w", table, err)
	}
	return n, nil
}

// ActiveParts is the number of active data parts of table in the store's database.
func (s *Store) ActiveParts(ctx context.Context, table string) (uint64, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = ? AND table = ? AND active", s.db, table).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("active parts of %s: %w", table, err)
	}
	return n, nil
}

// RunningMerges is the number of merges the server runs now, in any database.
func (s *Store) RunningMerges(ctx context.Context) (uint64, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&n); err != nil {
		return 0, fmt.Errorf("running merges: %w", err)
	}
	return n, nil
}
