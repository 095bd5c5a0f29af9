-- Usage samples. The identity of a sample is (resource_id, metric, ts); the same sample
-- sent again is a duplicate and a different value for the same identity is a correction:
-- the row with the highest `version` (ingest order) wins. Every query that reads samples
-- takes argMax(value, version) per identity, so duplicates never count twice, whether or
-- not ClickHouse has merged them yet.
-- On a cluster the table is sharded by resource_id, so that every identity lives on one
-- shard (see sql/migrations/README.md and docs/cluster.md).
-- cluster: shard by cityHash64(resource_id)
CREATE TABLE IF NOT EXISTS usage_samples (
    resource_id String,
    metric      String,
    ts          DateTime,
    value       Float64,
    source      String,
    ingested_at DateTime,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(ts)
ORDER BY (resource_id, metric, ts);
