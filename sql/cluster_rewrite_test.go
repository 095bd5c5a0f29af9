package chstore

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cluster rewrite of migration statements, reviewed as text (the cluster tests in
// sql/chcluster run them for real).
func TestClusterRewrite(t *testing.T) {
	shardBy := map[string]string{"usage_samples": "cityHash64(resource_id)"}
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "replacing, sharded",
			in: `CREATE TABLE IF NOT EXISTS usage_samples (
    resource_id String,
    value       Float64,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(ts)
ORDER BY (resource_id, metric, ts)`,
			want: []string{
				`CREATE TABLE IF NOT EXISTS db.usage_samples_local ON CLUSTER c (
    resource_id String,
    value       Float64,
    version     UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/usage_samples_local', '{replica}', version) PARTITION BY toYYYYMM(ts)
ORDER BY (resource_id, metric, ts)`,
				`CREATE TABLE IF NOT EXISTS db.usage_samples ON CLUSTER c AS db.usage_samples_local ENGINE = Distributed('c', 'db', 'usage_samples_local', cityHash64(resource_id))`,
			},
		},
		{
			name: "plain, replicated on every node, IF NOT EXISTS added",
			in:   "CREATE TABLE rated_lines (period UInt32, amount Decimal(38, 2), note String DEFAULT 'a)') ENGINE = MergeTree PARTITION BY period ORDER BY (period, seq)",
			want: []string{
				"CREATE TABLE IF NOT EXISTS db.rated_lines ON CLUSTER c (period UInt32, amount Decimal(38, 2), note String DEFAULT 'a)') ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/db/rated_lines', '{replica}') PARTITION BY period ORDER BY (period, seq)",
			},
		},
		{
			name: "summing with arguments and settings",
			in:   "CREATE TABLE IF NOT EXISTS t (k String, n UInt64) ENGINE = SummingMergeTree((n)) ORDER BY k SETTINGS index_granularity = 8192",
			want: []string{
				"CREATE TABLE IF NOT EXISTS db.t ON CLUSTER c (k String, n UInt64) ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/all/db/t', '{replica}', (n)) ORDER BY k SETTINGS index_granularity = 8192",
			},
		},
		{
			name: "other engines: one per node",
			in:   "CREATE TABLE IF NOT EXISTS scratch (k String) ENGINE = Memory",
			want: []string{"CREATE TABLE IF NOT EXISTS db.scratch ON CLUSTER c (k String) ENGINE = Memory "},
		},
		{
			name: "insert passes",
			in:   "INSERT INTO rated_lines (period) SELECT 1",
			want: []string{"INSERT INTO rated_lines (period) SELECT 1"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newClusterRewriter("db", "c").rewrite(tc.in, shardBy)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestClusterRewriteAlterDrop(t *testing.T) {
	r := newClusterRewriter("db", "c")
	sh := map[string]string{"s": "cityHash64(k)"}
	for _, q := range []string{
		"CREATE TABLE s (k String) ENGINE = MergeTree ORDER BY k",
		"CREATE TABLE m (k String) ENGINE = MergeTree ORDER BY k",
		"CREATE TABLE n (k String) ENGINE = Log",
	} {
		_, err := r.rewrite(q, sh)
		require.NoError(t, err, q)
	}
	cases := []struct{ in, want string }{
		{"ALTER TABLE m ADD COLUMN x UInt8", "ALTER TABLE db.m ADD COLUMN x UInt8"},
		{"ALTER TABLE s ADD COLUMN x UInt8", "ALTER TABLE db.s_local ON CLUSTER c ADD COLUMN x UInt8|ALTER TABLE db.s ON CLUSTER c ADD COLUMN x UInt8"},
		{"ALTER TABLE s DELETE WHERE k = ''", "ALTER TABLE db.s_local ON CLUSTER c DELETE WHERE k = ''"},
		{"ALTER TABLE n ADD COLUMN x UInt8", "ALTER TABLE db.n ON CLUSTER c ADD COLUMN x UInt8"},
		{"DROP TABLE IF EXISTS s", "DROP TABLE IF EXISTS db.s ON CLUSTER c|DROP TABLE IF EXISTS db.s_local ON CLUSTER c"},
		{"DROP TABLE m", "DROP TABLE IF EXISTS db.m ON CLUSTER c"},
	}
	for _, tc := range cases {
		got, err := r.rewrite(tc.in, sh)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, strings.Join(got, "|"), tc.in)
	}
}

func TestClusterRewriteRefuses(t *testing.T) {
	for _, q := range []string{
		"CREATE TABLE t (d Date, k String) ENGINE = MergeTree(d, (k), 8192)",           // old syntax
		"CREATE TABLE t (k String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY k", // already replicated
		"CREATE TABLE other.t (k String) ENGINE = MergeTree ORDER BY k",                // qualified name
		"CREATE TABLE t AS u", // no column list
		"CREATE MATERIALIZED VIEW v ENGINE = SummingMergeTree ORDER BY k AS SELECT k FROM u", // views
		"ALTER TABLE unknown ADD COLUMN x UInt8",                                             // no such table
		"CREATE TABLE s (k String) ENGINE = Memory",                                          // sharded, not MergeTree
	} {
		_, err := newClusterRewriter("db", "c").rewrite(q, map[string]string{"s": "cityHash64(k)"})
		assert.Error(t, err, q)
	}
}

// Every migration shipped, including those added after this test was written, must go
// through the rewrite: a statement it cannot take fails here, without a cluster.
func TestClusterRewriteEveryMigration(t *testing.T) {
	ms, err := migrations()
	require.NoError(t, err)
	r := newClusterRewriter("db", "c")
	dist := 0
	for _, m := range ms {
		for _, q := range m.stmts {
			out, err := r.rewrite(q, m.shardBy)
			require.NoError(t, err, "%s: see sql/migrations/README.md for what cluster mode takes", m.name)
			for _, o := range out {
				if strings.Contains(o, "Distributed(") {
					dist++
				}
			}
		}
	}
	assert.Equal(t, 1, dist, "usage_samples is the one sharded table")
	assert.Equal(t, dist, r.kindCount(sharded))
}

func TestParseDSNCluster(t *testing.T) {
	cfg, err := ParseDSN("clickhouse://u:p@ch1:9000,ch2,ch3:9440/bill?cluster=city&compress=lz4")
	require.NoError(t, err)
	assert.Equal(t, Config{Addr: "ch1:9000,ch2:9000,ch3:9440", Database: "bill", User: "u", Password: "p", Compression: "lz4", Cluster: "city"}, cfg)
	for _, bad := range []string{"clickhouse://ch1,,ch2/db", "clickhouse://ch1/db?cluster=bad-name"} {
		_, err := ParseDSN(bad)
		assert.Error(t, err, bad)
	}
}

func TestShardAnnotations(t *testing.T) {
	src := `-- a comment
-- cluster: shard by cityHash64(resource_id)
CREATE TABLE IF NOT EXISTS big (
    resource_id String
) ENGINE = MergeTree ORDER BY resource_id;
CREATE TABLE small (k String) ENGINE = MergeTree ORDER BY k;`
	assert.Equal(t, map[string]string{"big": "cityHash64(resource_id)"}, shardAnnotations(src))
}
