package chstore_test

import (
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	chstore "cloudbill/sql"
)

// The insert settings follow the server's version: a setting is sent only to versions
// that have it (18.16 rejects unknown settings; TestCurrentClickHouse checks the names
// against 18.16's and chDB's system.settings).
func TestInsertSettingsByVersion(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    clickhouse.Settings
	}{
		{"18.16.1", clickhouse.Settings{"insert_deduplicate": 1, "insert_distributed_sync": 1}},
		{"21.8.15.7", clickhouse.Settings{"insert_deduplicate": 1, "insert_distributed_sync": 1}},
		{"21.11.1", clickhouse.Settings{"insert_deduplicate": 1, "insert_distributed_sync": 1, "async_insert": 0, "wait_for_async_insert": 1}},
		{"23.8.2.7", clickhouse.Settings{"insert_deduplicate": 1, "insert_distributed_sync": 1, "async_insert": 0, "wait_for_async_insert": 1}},
		{"23.11.1", clickhouse.Settings{"insert_deduplicate": 1, "distributed_foreground_insert": 1, "async_insert": 0, "wait_for_async_insert": 1}},
		{"24.8.4.13", clickhouse.Settings{"insert_deduplicate": 1, "distributed_foreground_insert": 1, "async_insert": 0, "wait_for_async_insert": 1}},
		{"26.5.1.1", clickhouse.Settings{"insert_deduplicate": 1, "distributed_foreground_insert": 1, "async_insert": 0, "wait_for_async_insert": 1}},
	} {
		v, err := chstore.ParseServerVersion(tt.version)
		require.NoError(t, err)
		assert.Equal(t, tt.want, chstore.InsertSettings(v), tt.version)
	}
	_, err := chstore.ParseServerVersion("latest")
	assert.Error(t, err)
}
