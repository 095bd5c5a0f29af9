package chstore

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ServerVersion is a ClickHouse server's release (year.month of the release line).
type ServerVersion struct{ Major, Minor, Patch int }

func (v ServerVersion) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

func (v ServerVersion) atLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

var versionText = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?`)

// ParseServerVersion reads a version as version() returns it ("18.16.1", "26.5.1.1").
func ParseServerVersion(s string) (ServerVersion, error) {
	m := versionText.FindStringSubmatch(s)
	if m == nil {
		return ServerVersion{}, fmt.Errorf("clickhouse version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	var v ServerVersion
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	return v, nil
}

// InsertSettings are the settings cloudbill sends with every INSERT to a server of
// version v, so that an insert is stored and visible when it returns, once:
//
//   - insert_deduplicate = 1: a retried block (same data, same table) is not stored
//     twice by a Replicated table (every version; the default, set so that a server
//     profile cannot turn it off);
//   - async_insert = 0, wait_for_async_insert = 1 (21.11 on): no server-side buffering
//     (26.2 turned async_insert on by default; an asynchronous insert returns before the
//     rows are in a part, and its deduplication differs);
//   - distributed_foreground_insert = 1 (23.11 on; insert_distributed_sync before): an
//     insert into a Distributed table (cluster mode) returns when every shard has its
//     rows.
//
// A server rejects a setting it does not know, so none is sent to a version before the
// one that has it (docs/clickhouse.md; tested against 18.16's system.settings).
func InsertSettings(v ServerVersion) clickhouse.Settings {
	s := clickhouse.Settings{"insert_deduplicate": 1}
	if v.atLeast(21, 11) {
		s["async_insert"] = 0
		s["wait_for_async_insert"] = 1
	}
	if v.atLeast(23, 11) {
		s["distributed_foreground_insert"] = 1
	} else {
		s["insert_distributed_sync"] = 1
	}
	return s
}

// serverVersion is the version conn's server gave at connect.
func serverVersion(conn driver.Conn) (ServerVersion, error) {
	sv, err := conn.ServerVersion()
	if err != nil {
		return ServerVersion{}, fmt.Errorf("clickhouse server version: %w", err)
	}
	return ServerVersion{Major: int(sv.Version.Major), Minor: int(sv.Version.Minor), Patch: int(sv.Version.Patch)}, nil
}

// insertConn sends InsertSettings with every INSERT (batches and INSERT statements).
type insertConn struct {
	driver.Conn
	settings clickhouse.Settings
}

func (c insertConn) PrepareBatch(ctx context.Context, q string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	return c.Conn.PrepareBatch(clickhouse.Context(ctx, clickhouse.WithSettings(c.settings)), q, opts...)
}

var insertStatement = regexp.MustCompile(`(?is)^\s*INSERT\s`)

func (c insertConn) Exec(ctx context.Context, q string, args ...any) error {
	if insertStatement.MatchString(q) {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(c.settings))
	}
	return c.Conn.Exec(ctx, q, args...)
}

// withInsertSettings wraps conn so that its inserts carry the settings of its server's
// version, and returns the version.
func withInsertSettings(conn driver.Conn) (driver.Conn, ServerVersion, error) {
	v, err := serverVersion(conn)
	if err != nil {
		return nil, v, err
	}
	return insertConn{Conn: conn, settings: InsertSettings(v)}, v, nil
}
