//go:build chdb

// Package chdbtest runs cloudbill's SQL on a current ClickHouse, in process (chDB), next
// to the real server the tests start (ClickHouse 18.16), and compares the two.
//
// Everything here links libchdb (loaded at start by github.com/chdb-io/chdb-go from
// $CHDB_LIB_PATH), so the package builds only with the tag chdb: `make test` fetches the
// library (scripts/chdb.sh) and runs the suite with -tags chdb; `go build ./...` and
// `go vet ./...` never see it. See docs/clickhouse.md.
//
// Mirror wraps a Store's connection to the real server: every statement runs there
// first, then on chDB with its arguments bound into the text as the driver binds them
// for the native protocol; a batch INSERT's rows go to chDB as the Native block the
// driver sent. The rows a query returns are scanned on both sides into the same Go types
// and compared; a statement that succeeds on one server and fails on the other is a
// difference too.
package chdbtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	chproto "github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/chdb-io/chdb-go/chdb"
)

// bind is the driver's client-side binding of ? arguments (what the native protocol
// sends to the server), so that both servers receive the same text.
//
//go:linkname bind github.com/ClickHouse/clickhouse-go/v2.bind
func bind(tz *time.Location, query string, args ...any) (string, error)

// queryOptions are the options clickhouse.Context put on ctx (settings, external tables).
//
//go:linkname queryOptions github.com/ClickHouse/clickhouse-go/v2.queryOptions
func queryOptions(ctx context.Context) clickhouse.QueryOptions

var (
	sessOnce sync.Once
	sess     *chdb.Session
	sessErr  error
	sessDir  string
	// mu serialises statements on the one chDB session (it has one current database).
	mu sync.Mutex
	// externalMu serialises the statements that bring external tables (Mirror.onChDB).
	externalMu sync.Mutex
)

// Session is the process's chDB session (one per test binary), in a temporary directory
// removed by Close.
func Session() (*chdb.Session, error) {
	sessOnce.Do(func() {
		if os.Getenv("CHDB_LIB_PATH") == "" {
			sessErr = fmt.Errorf("CHDB_LIB_PATH is not set: run the suite through make test (scripts/chdb.sh fetches libchdb)")
			return
		}
		sessDir, sessErr = os.MkdirTemp("", "cloudbill-chdb-")
		if sessErr == nil {
			sess, sessErr = chdb.NewSession(sessDir)
		}
	})
	return sess, sessErr
}

// Close ends the session and removes its directory.
func Close() {
	if sess != nil {
		sess.Close()
		_ = os.RemoveAll(sessDir)
	}
}

// Query runs one statement on chDB and returns its output in format.
func Query(q, format string) ([]byte, error) {
	s, err := Session()
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	return query(s, q, format)
}

func query(s *chdb.Session, q, format string) ([]byte, error) {
	r, err := s.Query(q, format)
	if err != nil {
		return nil, err
	}
	defer r.Free()
	if err := r.Error(); err != nil {
		return nil, err
	}
	return bytes.Clone(r.Buf()), nil
}

// Version is chDB's ClickHouse version (e.g. 26.5.1.1).
func Version() (string, error) {
	b, err := Query("SELECT version()", "TSVRaw")
	return strings.TrimSpace(string(b)), err
}

// Setup creates database db on chDB afresh and runs stmts in it (the migrations).
func Setup(db string, stmts []string) error {
	if _, err := Query("DROP DATABASE IF EXISTS "+db, "TSV"); err != nil {
		return err
	}
	if _, err := Query("CREATE DATABASE "+db, "TSV"); err != nil {
		return err
	}
	for _, st := range stmts {
		if err := execIn(db, st); err != nil {
			return fmt.Errorf("%w\n%s", err, st)
		}
	}
	return nil
}

func execIn(db, q string) error {
	_, err := queryIn(db, q, "TSV")
	return err
}

func queryIn(db, q, format string) ([]byte, error) {
	s, err := Session()
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if _, err := query(s, "USE "+db, "TSV"); err != nil {
		return nil, err
	}
	return query(s, q, format)
}

// Mirror is a connection to the real server whose statements also run on chDB (see the
// package comment). It is safe for concurrent use.
type Mirror struct {
	driver.Conn
	db string
	// InsertSettings are added to every INSERT on chDB (the settings cloudbill sends to a
	// server of chDB's version).
	insertSettings clickhouse.Settings
	// Unordered, when it returns true for a query, compares its rows as a set (its
	// order is not defined by the query); default: a query without ORDER BY.
	Unordered func(sql string) bool
	// NotCompared, when it returns true for a query, runs it on chDB but does not compare
	// its rows (they depend on the server: now(), system tables).
	NotCompared func(sql string) bool

	mu    sync.Mutex
	diffs []string
	// Sent: every setting name sent to the real server, with a statement that sent it.
	sent map[string]string
	// ran counts the statements run on both servers by kind.
	ran map[string]int
	// queries: the distinct query texts (without arguments) compared.
	queries map[string]bool
	// seen: the statements with a difference reported (one report per statement).
	seen map[string]bool
}

var orderBy = regexp.MustCompile(`(?i)\bORDER\s+BY\b`)

// NewMirror wraps conn (a connection to database db on the real server); chDB's
// database of the same name must exist (Setup).
func NewMirror(conn driver.Conn, db string, insertSettings clickhouse.Settings) *Mirror {
	return &Mirror{Conn: conn, db: db, insertSettings: insertSettings, sent: map[string]string{}, ran: map[string]int{}, queries: map[string]bool{},
		Unordered: func(sql string) bool { return !orderBy.MatchString(sql) }, seen: map[string]bool{}}
}

// Differences are the differences found so far.
func (m *Mirror) Differences() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.diffs...)
}

// SentSettings are the names of the settings sent to the real server, each with a
// statement that sent it.
func (m *Mirror) SentSettings() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for k, v := range m.sent {
		out[k] = v
	}
	return out
}

// Ran is the number of statements run on both servers, by kind (exec, insert, query).
func (m *Mirror) Ran() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.ran {
		out[k] = v
	}
	return out
}

// Queries are the distinct query texts compared.
func (m *Mirror) Queries() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for q := range m.queries {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

// differ reports a difference of statement sql (the first one of each statement).
func (m *Mirror) differ(sql, format string, a ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[sql] {
		return
	}
	m.seen[sql] = true
	m.diffs = append(m.diffs, fmt.Sprintf(format, a...))
}

func (m *Mirror) count(kind, sql string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ran[kind]++
	if kind == "query" {
		m.queries[oneLine(sql)] = true
	}
}

// options reads the settings and external tables ctx carries and records the settings.
func (m *Mirror) options(ctx context.Context, sql string) (clickhouse.Settings, []*ext.Table) {
	o := queryOptions(ctx)
	v := reflect.ValueOf(&o).Elem()
	field := func(name string) reflect.Value {
		f := v.FieldByName(name)
		return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	}
	settings := field("settings").Interface().(clickhouse.Settings)
	external := field("external").Interface().([]*ext.Table)
	m.mu.Lock()
	for k := range settings {
		if _, ok := m.sent[k]; !ok {
			m.sent[k] = oneLine(sql)
		}
	}
	m.mu.Unlock()
	return settings, external
}

func oneLine(sql string) string { return strings.Join(strings.Fields(sql), " ") }

// Exec runs a statement on both servers.
func (m *Mirror) Exec(ctx context.Context, sql string, args ...any) error {
	_, external := m.options(ctx, sql)
	err := m.Conn.Exec(ctx, sql, args...)
	m.count("exec", sql)
	bound, berr := bind(time.UTC, sql, args...)
	if berr != nil {
		m.differ(sql, "exec %s: bind: %v", oneLine(sql), berr)
		return err
	}
	if isInsert(sql) {
		bound = withSettings(bound, m.insertSettings)
	}
	_, cerr := m.onChDB(bound, external, "TSV")
	m.compareErrors("exec", sql, err, cerr)
	return err
}

func (m *Mirror) compareErrors(kind, sql string, real, ch error) {
	if (real == nil) != (ch == nil) {
		m.differ(sql, "%s %s: real server: %v; chDB: %v", kind, oneLine(sql), real, ch)
	}
}

var insertHead = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(\([^)]*\))?`)

func isInsert(sql string) bool { return insertHead.MatchString(sql) }

// withSettings puts a SETTINGS clause after INSERT INTO t (cols).
func withSettings(insert string, s clickhouse.Settings) string {
	if len(s) == 0 {
		return insert
	}
	loc := insertHead.FindStringIndex(insert)
	return insert[:loc[1]] + " SETTINGS " + settingsText(s) + " " + insert[loc[1]:]
}

func settingsText(s clickhouse.Settings) string {
	var kv []string
	for k, v := range s {
		kv = append(kv, fmt.Sprintf("%s = %v", k, v))
	}
	sort.Strings(kv)
	return strings.Join(kv, ", ")
}

// onChDB runs a statement on chDB with ctx's external tables as tables of the database.
func (m *Mirror) onChDB(sql string, external []*ext.Table, format string) ([]byte, error) {
	if len(external) > 0 {
		// a server's external tables belong to one query; here they are tables of the
		// database until the query is done, so two queries at once with the same
		// external table name (rating's reads of a month run at once) take turns
		externalMu.Lock()
		defer externalMu.Unlock()
	}
	for _, t := range external {
		if err := execIn(m.db, fmt.Sprintf("CREATE TABLE %s (%s) ENGINE = Memory", t.Name(), t.Structure())); err != nil {
			return nil, fmt.Errorf("external table %s: %w", t.Name(), err)
		}
		defer func() { _ = execIn(m.db, "DROP TABLE IF EXISTS "+t.Name()) }()
		if err := m.insertBlock(t.Name(), "", t.Block(), nil); err != nil {
			return nil, fmt.Errorf("external table %s: %w", t.Name(), err)
		}
	}
	return queryIn(m.db, sql, format)
}

// insertBlock inserts a Native block into table (with its column list cols, "" for all).
func (m *Mirror) insertBlock(table, cols string, b *chproto.Block, settings clickhouse.Settings) error {
	var buf proto.Buffer
	if err := b.Encode(&buf, 0); err != nil {
		return err
	}
	f, err := os.CreateTemp("", "cloudbill-chdb-*.native")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(buf.Buf); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return execIn(m.db, infileInsert(table, cols, f.Name(), settings))
}

// infileInsert is the INSERT of a Native file into table (cols: "(a, b)" or "" for all).
func infileInsert(table, cols, file string, settings clickhouse.Settings) string {
	q := fmt.Sprintf("INSERT INTO %s %s FROM INFILE '%s'", table, cols, filepath.ToSlash(file))
	if len(settings) > 0 {
		q += " SETTINGS " + settingsText(settings)
	}
	return q + " FORMAT Native"
}

// PrepareBatch prepares the batch on the real server; its Send sends the same rows to
// chDB.
func (m *Mirror) PrepareBatch(ctx context.Context, sql string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	m.options(ctx, sql)
	b, err := m.Conn.PrepareBatch(ctx, sql, opts...)
	if err != nil {
		return b, err
	}
	return &batch{Batch: b, m: m, sql: sql}, nil
}

type batch struct {
	driver.Batch
	m   *Mirror
	sql string
}

func (b *batch) Send() error {
	// the block the driver is about to send, encoded before Send clears it
	var cols []string
	blk := &chproto.Block{}
	for _, c := range b.Batch.Columns() {
		cols = append(cols, c.Name())
		blk.Columns = append(blk.Columns, c)
	}
	var buf proto.Buffer
	encErr := blk.Encode(&buf, 0)
	data := buf.Buf
	err := b.Batch.Send()
	b.m.count("insert", b.sql)
	mh := insertHead.FindStringSubmatch(b.sql)
	if mh == nil || encErr != nil {
		b.m.differ(b.sql, "insert %s: cannot mirror (%v)", oneLine(b.sql), encErr)
		return err
	}
	var cerr error
	if f, ferr := os.CreateTemp("", "cloudbill-chdb-*.native"); ferr != nil {
		cerr = ferr
	} else {
		_, cerr = f.Write(data)
		f.Close()
		if cerr == nil {
			cerr = execIn(b.m.db, infileInsert(mh[1], "("+strings.Join(cols, ", ")+")", f.Name(), b.m.insertSettings))
		}
		os.Remove(f.Name())
	}
	b.m.compareErrors("insert", b.sql, err, cerr)
	return err
}

// Select is not mirrored (cloudbill uses it only in cluster mode).
func (m *Mirror) Select(ctx context.Context, dest any, sql string, args ...any) error {
	return m.Conn.Select(ctx, dest, sql, args...)
}

// Query runs a query on both servers; the rows are compared as the caller scans them.
func (m *Mirror) Query(ctx context.Context, sql string, args ...any) (driver.Rows, error) {
	_, external := m.options(ctx, sql)
	rows, err := m.Conn.Query(ctx, sql, args...)
	other, cerr := m.chdbRows(sql, args, external)
	m.compareErrors("query", sql, err, cerr)
	if err != nil || cerr != nil {
		return rows, err
	}
	m.count("query", sql)
	return &mirrorRows{Rows: rows, m: m, sql: sql, other: other}, nil
}

// QueryRow runs a query on both servers; the row is compared when the caller scans it.
func (m *Mirror) QueryRow(ctx context.Context, sql string, args ...any) driver.Row {
	_, external := m.options(ctx, sql)
	row := m.Conn.QueryRow(ctx, sql, args...)
	other, cerr := m.chdbRows(sql, args, external)
	m.compareErrors("query", sql, row.Err(), cerr)
	if row.Err() != nil || cerr != nil {
		return row
	}
	m.count("query", sql)
	return &mirrorRow{Row: row, m: m, sql: sql, other: other}
}

// result is chDB's answer to a query: its Native blocks.
type result struct {
	blocks []*chproto.Block
	block  int
	row    int
}

func (r *result) rows() int {
	n := 0
	for _, b := range r.blocks {
		n += b.Rows()
	}
	return n
}

// next moves to the next row; false at the end.
func (r *result) next() bool {
	for r.block < len(r.blocks) {
		if r.row+1 < r.blocks[r.block].Rows() {
			r.row++
			return true
		}
		r.block++
		r.row = -1
	}
	return false
}

// scan scans the current row into fresh values of dest's types and returns them.
func (r *result) scan(dest []any) ([]any, error) {
	b := r.blocks[r.block]
	if len(b.Columns) != len(dest) {
		return nil, fmt.Errorf("%d columns, %d destinations", len(b.Columns), len(dest))
	}
	out := make([]any, len(dest))
	for i, d := range dest {
		p := reflect.New(reflect.TypeOf(d).Elem())
		if err := b.Columns[i].ScanRow(p.Interface(), r.row); err != nil {
			return nil, fmt.Errorf("column %s (%s): %w", b.Columns[i].Name(), b.Columns[i].Type(), err)
		}
		out[i] = p.Interface()
	}
	return out, nil
}

func (m *Mirror) chdbRows(sql string, args []any, external []*ext.Table) (*result, error) {
	bound, err := bind(time.UTC, sql, args...)
	if err != nil {
		return nil, err
	}
	out, err := m.onChDB(bound, external, "Native")
	if err != nil {
		return nil, err
	}
	res := &result{row: -1}
	rd := proto.NewReader(bytes.NewReader(out))
	for rd != nil {
		b := &chproto.Block{ServerContext: &column.ServerContext{Timezone: time.UTC}}
		if err := b.Decode(rd, 0); err != nil {
			if strings.Contains(err.Error(), "EOF") {
				break
			}
			return nil, fmt.Errorf("decode chDB answer: %w", err)
		}
		if b.Rows() > 0 {
			res.blocks = append(res.blocks, b)
		}
	}
	return res, nil
}

type mirrorRows struct {
	driver.Rows
	m     *Mirror
	sql   string
	other *result
	// real and chdb hold the scanned rows of an unordered query, compared at the end
	real, chdb []string
	// n is the real server's rows so far; has: chDB has row n too; end: the real rows
	// were read to the end; closed: Close ran.
	n                int
	has, end, closed bool
}

func (r *mirrorRows) Next() bool {
	ok := r.Rows.Next()
	if !ok {
		r.end = true
		return false
	}
	r.n++
	r.has = r.other.next()
	return true
}

func (r *mirrorRows) Scan(dest ...any) error {
	if err := r.Rows.Scan(dest...); err != nil {
		return err
	}
	if !r.has {
		return nil // counted at Close
	}
	got, err := r.other.scan(dest)
	if err != nil {
		r.m.differ(r.sql, "query %s: chDB row %d: %v", oneLine(r.sql), r.n, err)
		return nil
	}
	want, have := text(dest), text(got)
	switch {
	case r.m.NotCompared != nil && r.m.NotCompared(r.sql):
	case r.m.Unordered != nil && r.m.Unordered(r.sql):
		r.real, r.chdb = append(r.real, want), append(r.chdb, have)
	case want != have:
		r.m.differ(r.sql, "query %s: row %d: real server %s, chDB %s", oneLine(r.sql), r.n, want, have)
	}
	return nil
}

func (r *mirrorRows) Close() error {
	if !r.closed {
		r.closed = true
		compared := r.m.NotCompared == nil || !r.m.NotCompared(r.sql)
		if r.end && r.Rows.Err() == nil && r.other.rows() != r.n && compared {
			r.m.differ(r.sql, "query %s: real server %d rows, chDB %d", oneLine(r.sql), r.n, r.other.rows())
		}
		sort.Strings(r.real)
		sort.Strings(r.chdb)
		if strings.Join(r.real, "\n") != strings.Join(r.chdb, "\n") {
			r.m.differ(r.sql, "query %s: rows differ as sets:\nreal server %v\nchDB %v", oneLine(r.sql), r.real, r.chdb)
		}
	}
	return r.Rows.Close()
}

type mirrorRow struct {
	driver.Row
	m     *Mirror
	sql   string
	other *result
}

func (r *mirrorRow) Scan(dest ...any) error {
	if err := r.Row.Scan(dest...); err != nil {
		if r.other.next() {
			r.m.differ(r.sql, "query %s: real server: %v; chDB has a row", oneLine(r.sql), err)
		}
		return err
	}
	if !r.other.next() {
		r.m.differ(r.sql, "query %s: chDB has no row (real %s)", oneLine(r.sql), text(dest))
		return nil
	}
	got, err := r.other.scan(dest)
	if err != nil {
		r.m.differ(r.sql, "query %s: chDB: %v", oneLine(r.sql), err)
		return nil
	}
	if want, have := text(dest), text(got); want != have && !(r.m.NotCompared != nil && r.m.NotCompared(r.sql)) {
		r.m.differ(r.sql, "query %s: real server %s, chDB %s", oneLine(r.sql), want, have)
	}
	return nil
}

// text is a row of scanned values as comparable text: times in UTC.
func text(vals []any) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteString(" | ")
		}
		rv := reflect.ValueOf(v)
		for rv.Kind() == reflect.Pointer && !rv.IsNil() {
			rv = rv.Elem()
		}
		x := rv.Interface()
		switch t := x.(type) {
		case time.Time:
			x = t.UTC().Format(time.RFC3339Nano)
		case fmt.Stringer:
			x = t.String()
		}
		fmt.Fprintf(&b, "%v", x)
	}
	return b.String()
}
