package chcluster_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/backup"
	"cloudbill/sql"
	"cloudbill/sql/chcluster"
	"cloudbill/sql/chtest"
)

// A backup of a cluster database holds each table once (samples of every shard, read
// through the Distributed table with FINAL; a replicated table from one copy); it
// restores into another cluster database (samples spread over the shards again) and into
// a single server, each verified against the manifest; a database with rows is refused.
func TestBackupRestoreCluster(t *testing.T) {
	c := chcluster.Get(t)
	src := c.New(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		require.NoError(t, src.InsertSamples(ctx, batchOf(i)))
	}
	newer := batchOf(0) // the same samples again, corrected: the backup keeps the latest
	for k := range newer.Version {
		newer.Version[k] += 1_000_000
		newer.Value[k] += 1
	}
	require.NoError(t, src.InsertSamples(ctx, newer))
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	u := access.User{Login: "clerk", Role: access.RoleFinance, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA", CreatedAt: at, UpdatedAt: at}
	require.NoError(t, src.PutUser(ctx, u))
	u.Disabled, u.UpdatedAt = true, at.Add(time.Hour)
	require.NoError(t, src.PutUser(ctx, u))
	want, err := src.SampleStats(ctx, chstore.SampleFilter{})
	require.NoError(t, err)
	require.Equal(t, uint64(4000), want.Samples)

	dir := filepath.Join(t.TempDir(), "b")
	m, err := backup.Take(ctx, backup.Params{Store: src, Database: src.Database(), Dir: dir})
	require.NoError(t, err)
	entries := map[string]backup.TableEntry{}
	for _, e := range m.Tables {
		entries[e.Name] = e
	}
	assert.NotContains(t, entries, "usage_samples_local", "a sharded table is copied once, through its Distributed table")
	assert.Equal(t, "ReplicatedReplacingMergeTree", entries["usage_samples"].Engine)
	assert.Equal(t, int64(4000), entries["usage_samples"].Rows, "every shard's samples, the latest version of each")
	assert.Equal(t, int64(1), entries["users"].Rows, "the latest version of an account")

	dst := c.New(t)
	_, err = backup.Restore(ctx, backup.RestoreParams{Store: dst, Dir: dir})
	require.NoError(t, err, "restored into another cluster database and verified")
	got, err := dst.SampleStats(ctx, chstore.SampleFilter{})
	require.NoError(t, err)
	assert.Equal(t, want.Samples, got.Samples)
	assert.InDelta(t, want.Sum, got.Sum, 1e-6)
	users, err := dst.Users(ctx)
	require.NoError(t, err)
	require.Len(t, users, 1)
	assert.True(t, users[0].Disabled)
	c.SyncReplicas(t, dst.Database(), "usage_samples_local")
	var shard1, shard2 uint64
	require.NoError(t, c.Node(t, "s1r2").QueryRow(ctx, "SELECT count() FROM "+dst.Database()+".usage_samples_local").Scan(&shard1))
	require.NoError(t, c.Node(t, "s2r2").QueryRow(ctx, "SELECT count() FROM "+dst.Database()+".usage_samples_local").Scan(&shard2))
	assert.NotZero(t, shard1, "the samples are spread over the shards again")
	assert.NotZero(t, shard2)
	assert.Equal(t, uint64(4000), shard1+shard2)

	single := chtest.New(t)
	_, err = backup.Restore(ctx, backup.RestoreParams{Store: single, Dir: dir})
	require.NoError(t, err, "a cluster's backup restores into a single server")
	got, err = single.SampleStats(ctx, chstore.SampleFilter{})
	require.NoError(t, err)
	assert.Equal(t, want.Samples, got.Samples)

	_, err = backup.Restore(ctx, backup.RestoreParams{Store: dst, Dir: dir})
	assert.ErrorIs(t, err, backup.ErrNotEmpty)
}
