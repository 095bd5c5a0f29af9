package chstore_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	chproto "github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/backup"
	"cloudbill/sql/chtest"
)

// A backup reads every column type of the schema (its content hash splits Native blocks
// into rows by type).
func TestBackupReadsEverySchemaType(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	rows, err := chtest.Conn(t, s).Query(ctx, "SELECT table, name, type FROM system.columns WHERE database = ? AND table != 'schema_migrations'", s.Database())
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, name, typ string
		require.NoError(t, rows.Scan(&table, &name, &typ))
		assert.NoError(t, backup.CheckType(typ), "%s.%s", table, name)
		n++
	}
	require.NoError(t, rows.Err())
	assert.Greater(t, n, 100)
}

// Rows dumped as Native blocks load into another database as they were: more rows than
// one block, a range of them, columns named.
func TestDumpLoadNative(t *testing.T) {
	src, dst := chtest.New(t), chtest.New(t)
	ctx := context.Background()
	require.NoError(t, chtest.Conn(t, src).Exec(ctx, `INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)
		SELECT concat('vm-', toString(number % 97)), 'cpu', toDateTime('2026-11-01 00:00:00') + number * 60, number / 7, 'ctcc', toDateTime('2026-12-01 00:00:00'), 1
		FROM system.numbers LIMIT 150000`))
	tables, err := src.Tables(ctx)
	require.NoError(t, err)
	var samples backup.Table
	for _, tb := range tables {
		if tb.Name == "usage_samples" {
			samples = tb
		}
	}
	require.Equal(t, "usage_samples", samples.Name)
	var cols []string
	var blocks [][]byte
	var data bytes.Buffer
	require.NoError(t, src.DumpNative(ctx, backup.Dump{Table: samples}, func(c []string) { cols = c }, func(b []byte) error {
		blocks = append(blocks, bytes.Clone(b))
		data.Write(b)
		return nil
	}))
	assert.Equal(t, []string{"resource_id", "metric", "ts", "value", "source", "ingested_at", "version"}, cols)
	assert.Greater(t, len(blocks), 1, "more rows than one block")
	n, err := dst.LoadNative(ctx, "usage_samples", cols, &data)
	require.NoError(t, err)
	assert.Equal(t, int64(150000), n)
	var same uint64
	require.NoError(t, chtest.Conn(t, dst).QueryRow(ctx, "SELECT count() FROM usage_samples WHERE resource_id = 'vm-5' AND value * 7 = toFloat64(toUnixTimestamp(ts) - toUnixTimestamp(toDateTime('2026-11-01 00:00:00'))) / 60").Scan(&same))
	assert.Greater(t, same, uint64(1000), "values as they were")

	_, err = dst.LoadNative(ctx, "usage_samples", []string{"resource_id", "metric"}, bytes.NewReader(blocks[0]))
	assert.ErrorContains(t, err, "columns", "a block of other columns is refused")

	// a column typed otherwise than the server's (a time zone named) is converted
	blk := &chproto.Block{ServerContext: &column.ServerContext{Timezone: time.UTC}}
	for i, typ := range []string{"String", "String", "DateTime('UTC')", "Float64", "String", "DateTime('UTC')", "UInt64"} {
		require.NoError(t, blk.AddColumn(cols[i], column.Type(typ)))
	}
	ts := time.Date(2026, 11, 3, 4, 5, 6, 0, time.UTC)
	require.NoError(t, blk.Append("converted", "cpu", ts, 1.5, "ctcc", ts, uint64(9)))
	var buf proto.Buffer
	require.NoError(t, blk.Encode(&buf, 0))
	n, err = dst.LoadNative(ctx, "usage_samples", cols, bytes.NewReader(buf.Buf))
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	var got time.Time
	require.NoError(t, chtest.Conn(t, dst).QueryRow(ctx, "SELECT ts FROM usage_samples WHERE resource_id = 'converted'").Scan(&got))
	assert.True(t, ts.Equal(got), "%s", got)
}
