package chstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	chproto "github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"cloudbill/backup"
)

var _ backup.Store = (*Store)(nil)

// backupTablesQuery lists the tables a backup copies: every table of the database but
// the migration records and the hidden tables of materialized views.
type backupTablesQuery struct{ db string }

func (q backupTablesQuery) toSQL() (string, []any) {
	return "SELECT name, engine FROM system.tables WHERE database = ? AND name != 'schema_migrations' AND NOT startsWith(name, '.') AND engine NOT IN ('View', 'MaterializedView') ORDER BY name", []any{q.db}
}

func (backupTablesQuery) scan(rows driver.Rows) ([]backup.Table, error) {
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

// Tables lists the tables of the database that a backup copies. In cluster mode a
// sharded table is listed once, by its Distributed table's name (read and written through
// it: every shard) with its local tables' engine; the local tables are not listed.
func (s *Store) Tables(ctx context.Context) ([]backup.Table, error) {
	out, err := runQuery(ctx, s.conn, backupTablesQuery{db: s.db})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	if s.cluster == nil {
		return out, nil
	}
	engines := map[string]string{}
	for _, t := range out {
		engines[t.Name] = t.Engine
	}
	var logical []backup.Table
	for _, t := range out {
		base, isLocal := strings.CutSuffix(t.Name, shardLocalSuffix)
		if isLocal && engines[base] == "Distributed" {
			continue
		}
		if local, ok := engines[t.Name+shardLocalSuffix]; ok && t.Engine == "Distributed" {
			t.Engine = local
		}
		logical = append(logical, t)
	}
	return logical, nil
}

// Migrations lists the applied schema migrations, in order.
func (s *Store) Migrations(ctx context.Context) ([]uint32, error) {
	out, err := runQuery(ctx, s.conn, migrationVersionsQuery{})
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	return out, nil
}

// migrationVersionsQuery lists the applied migrations, in order.
type migrationVersionsQuery struct{}

func (migrationVersionsQuery) toSQL() (string, []any) {
	return "SELECT DISTINCT version FROM schema_migrations ORDER BY version", nil
}

func (migrationVersionsQuery) scan(rows driver.Rows) ([]uint32, error) {
	return appliedMigrationsQuery{}.scan(rows)
}

// dumpQuery reads the rows of a table for a backup: FINAL on a Replacing table (what
// readers see, whatever merges happened), optionally a time range. Its names are checked
// by newDumpQuery.
type dumpQuery struct {
	table    ident
	columns  []ident // none: every column
	final    bool
	time     ident // "": no time range
	from, to time.Time
}

// newDumpQuery is the query of d, its table and column names checked (see newIdent).
func newDumpQuery(d backup.Dump) (dumpQuery, error) {
	q := dumpQuery{final: d.Table.Replacing(), from: d.From.UTC(), to: d.To.UTC()}
	var err error
	if q.table, err = newIdent(d.Table.Name); err != nil {
		return dumpQuery{}, err
	}
	for _, c := range d.Columns {
		col, err := newIdent(c)
		if err != nil {
			return dumpQuery{}, err
		}
		q.columns = append(q.columns, col)
	}
	if d.TimeColumn != "" {
		if q.time, err = newIdent(d.TimeColumn); err != nil {
			return dumpQuery{}, err
		}
	}
	return q, nil
}

func (q dumpQuery) toSQL() (string, []any) {
	cols := "*"
	if len(q.columns) > 0 {
		qs := make([]string, len(q.columns))
		for i, c := range q.columns {
			qs[i] = string(c)
		}
		cols = strings.Join(qs, ", ")
	}
	sql := "SELECT " + cols + " FROM " + string(q.table)
	if q.final {
		sql += " FINAL"
	}
	var args []any
	if q.time != "" {
		c := string(q.time)
		sql += " WHERE " + c + " >= ? AND " + c + " < ?"
		args = append(args, q.from, q.to)
	}
	return sql, args
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
	q, err := newDumpQuery(d)
	if err != nil {
		return err
	}
	return streamQuery(ctx, s.conn, q, func(rows driver.Rows) error { return nativeBlocks(rows, columns, each) })
}

// nativeBlocks hands the rows to each as Native blocks of at most nativeBlockRows rows
// (see DumpNative), after the names of their columns to columns.
func nativeBlocks(rows driver.Rows, columns func([]string), each func(block []byte) error) error {
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
// not columns (names, in order) is refused. A column whose type is the server's is
// decoded straight into the INSERT's block; another (a backup of another server
// version) is converted value by value.
func (s *Store) LoadNative(ctx context.Context, table string, columns []string, r io.Reader) (int64, error) {
	ins := nativeInsert{}
	var err error
	if ins.table, err = newIdent(table); err != nil {
		return 0, err
	}
	ins.columns = make([]ident, len(columns))
	for i, c := range columns {
		if ins.columns[i], err = newIdent(c); err != nil {
			return 0, err
		}
	}
	insert := ins.toSQL()
	rd := proto.NewReader(r)
	var total int64
	for n := 1; ; n++ {
		nc, err := rd.UVarInt()
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, fmt.Errorf("block %d: %w", n, err)
		}
		nr, err := rd.UVarInt()
		if err != nil {
			return total, fmt.Errorf("block %d: %w", n, err)
		}
		if nc != uint64(len(columns)) || nr > 1<<30 {
			return total, fmt.Errorf("block %d: %d columns, %d rows: want the %d columns %v", n, nc, nr, len(columns), columns)
		}
		err = sendBlock(ctx, s.conn, insert, func(b driver.Batch) error {
			if err := decodeInto(b, rd, columns, int(nr)); err != nil {
				return err
			}
			if nr == 0 {
				return errEmptyBlock
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("block %d: %w", n, err)
		}
		total += int64(nr)
	}
}

// nativeInsert is the INSERT of a restored table's blocks, its columns named (a block's
// columns are decoded straight into the batch: see decodeInto).
type nativeInsert struct {
	table   ident
	columns []ident
}

func (q nativeInsert) toSQL() string {
	cols := make([]string, len(q.columns))
	for i, c := range q.columns {
		cols[i] = string(c)
	}
	return "INSERT INTO " + string(q.table) + " (" + strings.Join(cols, ", ") + ")"
}

// decodeInto reads the columns of one Native block of rows rows into batch b.
func decodeInto(b driver.Batch, rd *proto.Reader, columns []string, rows int) error {
	into := b.Columns()
	for i := range columns {
		name, err := rd.Str()
		if err != nil {
			return err
		}
		typ, err := rd.Str()
		if err != nil {
			return err
		}
		if name != columns[i] {
			return fmt.Errorf("column %d is %s, want %s (columns %v)", i+1, name, columns[i], columns)
		}
		if rows == 0 {
			continue
		}
		col := into[i]
		same := string(col.Type()) == typ
		if !same {
			if col, err = column.Type(typ).Column(name, &column.ServerContext{Timezone: time.UTC}); err != nil {
				return fmt.Errorf("column %s: %w", name, err)
			}
		}
		if cs, ok := col.(column.CustomSerialization); ok {
			if err := cs.ReadStatePrefix(rd); err != nil {
				return fmt.Errorf("column %s: %w", name, err)
			}
		}
		if err := col.Decode(rd, rows); err != nil {
			return fmt.Errorf("column %s: %w", name, err)
		}
		if same {
			continue
		}
		// the column's values as a slice of its Go type, appended at once
		vs := reflect.MakeSlice(reflect.SliceOf(col.ScanType()), rows, rows)
		for r := 0; r < rows; r++ {
			if err := col.ScanRow(vs.Index(r).Addr().Interface(), r); err != nil {
				return fmt.Errorf("column %s row %d: %w", name, r+1, err)
			}
		}
		if err := b.Column(i).Append(vs.Interface()); err != nil {
			return fmt.Errorf("column %s (%s into %s): %w", name, typ, into[i].Type(), err)
		}
	}
	return nil
}

// Count is the rows of a table.
func (s *Store) Count(ctx context.Context, table string) (int64, error) {
	t, err := newIdent(table)
	if err != nil {
		return 0, err
	}
	n, err := runRow(ctx, s.conn, tableRowsQuery(t))
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return int64(n), nil
}
