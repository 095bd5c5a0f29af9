package chstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"cloudbill/backup"
)

var _ backup.Store = (*Store)(nil)

// ErrBackupCluster: backup and restore work on a single server only (so far).
var ErrBackupCluster = errors.New("backup and restore work on a single ClickHouse server; on a cluster use ClickHouse's own BACKUP or clickhouse-backup per shard (docs/backup.md)")

// backupTablesQuery lists the tables a backup copies: every table of the database but
// the migration records and the hidden tables of materialized views.
type backupTablesQuery struct{ db string }

func (q backupTablesQuery) toSQL() (string, []any) {
	return "SELECT name, engine FROM system.tables WHERE database = ? AND name != 'schema_migrations' AND NOT startsWith(name, '.') AND engine NOT IN ('View', 'MaterializedView') ORDER BY name", []any{q.db}
}

// Tables lists the tables of the database that a backup copies.
func (s *Store) Tables(ctx context.Context) ([]backup.Table, error) {
	if s.cluster != nil {
		return nil, ErrBackupCluster
	}
	sql, args := backupTablesQuery{db: s.db}.toSQL()
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []backup.Table
	for rows.Next() {
		var t backup.Table
		if err := rows.Scan(&t.Name, &t.Engine); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Migrations lists the applied schema migrations, in order.
func (s *Store) Migrations(ctx context.Context) ([]uint32, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// dumpQuery reads the rows of a table for a backup: FINAL on a Replacing table (what
// readers see, whatever merges happened), optionally a time range.
type dumpQuery struct{ d backup.Dump }

func (q dumpQuery) toSQL() (string, []any, error) {
	t, err := quoteIdent(q.d.Table.Name)
	if err != nil {
		return "", nil, err
	}
	cols := "*"
	if len(q.d.Columns) > 0 {
		qs := make([]string, len(q.d.Columns))
		for i, c := range q.d.Columns {
			if qs[i], err = quoteIdent(c); err != nil {
				return "", nil, err
			}
		}
		cols = strings.Join(qs, ", ")
	}
	sql := "SELECT " + cols + " FROM " + t
	if q.d.Table.Replacing() {
		sql += " FINAL"
	}
	var args []any
	if q.d.TimeColumn != "" {
		c, err := quoteIdent(q.d.TimeColumn)
		if err != nil {
			return "", nil, err
		}
		sql += " WHERE " + c + " >= ? AND " + c + " < ?"
		args = append(args, q.d.From.UTC(), q.d.To.UTC())
	}
	return sql, args, nil
}

// DumpRows reads the rows of d in one query (one snapshot of the table's parts).
func (s *Store) DumpRows(ctx context.Context, d backup.Dump, columns func([]string), each func(row []any) error) error {
	sql, args, err := dumpQuery{d: d}.toSQL()
	if err != nil {
		return err
	}
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	columns(rows.Columns())
	types := rows.ColumnTypes()
	vals := make([]any, len(types))
	for i, ct := range types {
		vals[i] = reflect.New(ct.ScanType()).Interface()
	}
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
		if err := each(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// loadChunk is the rows inserted by one batch of a restore.
const loadChunk = 100_000

// LoadRows inserts rows into table's columns in batches; next fills pointers to the
// columns' Go types.
func (s *Store) LoadRows(ctx context.Context, table string, columns []string, next func(dst []any) (bool, error)) (int64, error) {
	t, err := quoteIdent(table)
	if err != nil {
		return 0, err
	}
	qs := make([]string, len(columns))
	for i, c := range columns {
		if qs[i], err = quoteIdent(c); err != nil {
			return 0, err
		}
	}
	list := strings.Join(qs, ", ")
	probe, err := s.conn.Query(ctx, "SELECT "+list+" FROM "+t+" LIMIT 0")
	if err != nil {
		return 0, err
	}
	types := probe.ColumnTypes()
	probe.Close()
	var total int64
	for {
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+t+" ("+list+")")
		if err != nil {
			return total, err
		}
		n := 0
		for n < loadChunk {
			dst := make([]any, len(types))
			for i, ct := range types {
				dst[i] = reflect.New(ct.ScanType()).Interface()
			}
			more, err := next(dst)
			if err != nil {
				_ = b.Abort()
				return total, err
			}
			if !more {
				break
			}
			row := make([]any, len(dst))
			for i, p := range dst {
				row[i] = reflect.ValueOf(p).Elem().Interface()
			}
			if err := b.Append(row...); err != nil {
				_ = b.Abort()
				return total, fmt.Errorf("row %d: %w", total+int64(n)+1, err)
			}
			n++
		}
		if n == 0 {
			_ = b.Abort()
			return total, nil
		}
		if err := b.Send(); err != nil {
			return total, err
		}
		total += int64(n)
		if n < loadChunk {
			return total, nil
		}
	}
}

// Count is the rows of a table.
func (s *Store) Count(ctx context.Context, table string) (int64, error) {
	t, err := quoteIdent(table)
	if err != nil {
		return 0, err
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+t).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return int64(n), nil
}
