package chstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestMigrateTwice(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx), "migrations are re-runnable")
	var n uint64
	require.NoError(t, chtest.Conn(t, s).QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&n))
	var files uint64
	require.NoError(t, chtest.Conn(t, s).QueryRow(ctx, "SELECT uniqExact(version) FROM schema_migrations").Scan(&files))
	assert.Equal(t, files, n, "each migration recorded once")
	// every statement runs again on a migrated database (as after a crash between a
	// migration's statements and its record), an ADD COLUMN included
	require.NoError(t, chtest.Conn(t, s).Exec(ctx, "DROP TABLE schema_migrations"))
	require.NoError(t, s.Migrate(ctx), "every migration's statements run again")
	require.NoError(t, chtest.Conn(t, s).QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = 'budget_warnings' AND name = 'share'",
		s.Database()).Scan(&n))
	assert.Equal(t, uint64(1), n, "the share column added once")
}

func TestParseDSN(t *testing.T) {
	cfg, err := chstore.ParseDSN("clickhouse://u:p@db.example:9440/bill")
	require.NoError(t, err)
	assert.Equal(t, chstore.Config{Addr: "db.example:9440", Database: "bill", User: "u", Password: "p"}, cfg)
	cfg, err = chstore.ParseDSN("clickhouse://localhost")
	require.NoError(t, err)
	assert.Equal(t, "localhost:9000", cfg.Addr)
	assert.Equal(t, "cloudbill", cfg.Database)
	cfg, err = chstore.ParseDSN("clickhouse://127.0.0.1:9000/db?compress=lz4")
	require.NoError(t, err)
	assert.Equal(t, "lz4", cfg.Compression)
	cfg, err = chstore.ParseDSN("clickhouse://127.0.0.1:9000/db?read_timeout=10m")
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, cfg.ReadTimeout)
	cfg, err = chstore.ParseDSN("clickhouse://127.0.0.1:9000/db?read_timeout=90")
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, cfg.ReadTimeout)
	for _, bad := range []string{"http://x:8123", "localhost:9000", "clickhouse://h/bad-name", "clickhouse://h:9000/db?compress=zstd",
		"clickhouse://h:9000/db?read_timeout=soon", "clickhouse://h:9000/db?read_timeout=0s"} {
		_, err := chstore.ParseDSN(bad)
		assert.Error(t, err, bad)
	}
}

func TestCloses(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	p := calendar.MustPeriod("2026-11")
	_, ok, err := s.CloseOf(ctx, p)
	require.NoError(t, err)
	assert.False(t, ok)
	c := rating.Close{
		Period: p, ClosedAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), RunID: "r1", ContentHash: "h",
		Pending: []catalog.VendorID{"V2"}, AllowPending: true, Lines: 3, Total: decimal.RequireFromString("1234.56"), ClosedBy: "test",
	}
	require.NoError(t, s.InsertClose(ctx, c))
	got, ok, err := s.CloseOf(ctx, p)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, got.Total.Equal(c.Total), "got %s want %s", got.Total, c.Total)
	got.Total = c.Total
	assert.Equal(t, c.ClosedAt.Unix(), got.ClosedAt.Unix())
	got.ClosedAt = c.ClosedAt
	assert.Equal(t, c, got)
}
