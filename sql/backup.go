package chstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	chproto "github.com/ClickHouse/clickhouse-go/v2/lib/proto"

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

// nativeBlockRows bounds the rows of one Native block a backup writes (and so of one
// INSERT of a restore): ClickHouse's own max_block_size.
const nativeBlockRows = 65_536

// DumpNative reads the rows of d in one query (one snapshot of the table's parts) and
// hands them to each as blocks in ClickHouse's Native format (what FORMAT Native writes,
// revision 0: column names and types, then each column's values), of at most
// nativeBlockRows rows; columns are the names of the columns read, known before the
// first block.
func (s *Store) DumpNative(ctx context.Context, d backup.Dump, columns func([]string), each func(block []byte) error) error {
	sql, args, err := dumpQuery{d: d}.toSQL()
	if err != nil {
		return err
	}
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	names := rows.Columns()
	columns(names)
	types := rows.ColumnTypes()
	blk := &chproto.Block{ServerContext: &column.ServerContext{Timezone: time.UTC}}
	vals := make([]any, len(types))
	for i, ct := range types {
		if err := blk.AddColumn(names[i], column.Type(ct.DatabaseTypeName())); err != nil {
			return fmt.Errorf("column %s: %w", names[i], err)
		}
		vals[i] = reflect.New(ct.ScanType()).Interface()
	}
	var buf proto.Buffer
	flush := func() error {
		if blk.Rows() == 0 {
			return nil
		}
		buf.Reset()
		if err := blk.Encode(&buf, 0); err != nil {
			return err
		}
		blk.Reset()
		return each(buf.Buf)
	}
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
		if err := blk.Append(vals...); err != nil {
			return err
		}
		if blk.Rows() >= nativeBlockRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// LoadNative inserts the Native blocks of r (as DumpNative writes them) into table's
// columns, one INSERT a block, and returns the rows inserted. A block whose columns are
// not columns (names, in order) is refused.
func (s *Store) LoadNative(ctx context.Context, table string, columns []string, r io.Reader) (int64, error) {
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
	insert := "INSERT INTO " + t + " (" + strings.Join(qs, ", ") + ")"
	rd := proto.NewReader(r)
	var total int64
	for n := 1; ; n++ {
		blk := &chproto.Block{ServerContext: &column.ServerContext{Timezone: time.UTC}}
		if err := blk.Decode(rd, 0); err != nil {
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, fmt.Errorf("block %d: %w", n, err)
		}
		if got := blk.ColumnsNames(); !slices.Equal(got, columns) {
			return total, fmt.Errorf("block %d: columns %v, want %v", n, got, columns)
		}
		rows := blk.Rows()
		if rows == 0 {
			continue
		}
		b, err := s.conn.PrepareBatch(ctx, insert)
		if err != nil {
			return total, err
		}
		for i, col := range blk.Columns {
			// the column's values as a slice of its Go type, appended at once
			vs := reflect.MakeSlice(reflect.SliceOf(col.ScanType()), rows, rows)
			for r := 0; r < rows; r++ {
				if err := col.ScanRow(vs.Index(r).Addr().Interface(), r); err != nil {
					_ = b.Abort()
					return total, fmt.Errorf("block %d: column %s row %d: %w", n, columns[i], r+1, err)
				}
			}
			if err := b.Column(i).Append(vs.Interface()); err != nil {
				_ = b.Abort()
				return total, fmt.Errorf("block %d: column %s: %w", n, columns[i], err)
			}
		}
		if err := b.Send(); err != nil {
			return total, fmt.Errorf("block %d: %w", n, err)
		}
		total += int64(rows)
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
