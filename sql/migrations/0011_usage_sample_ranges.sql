-- Per (resource_id, metric), the first and last ts stored: lets ingest tell cheaply that a
-- batch of new samples (later than anything stored) holds no duplicates, and look up
-- stored values only for samples inside a stored range. Kept by a materialized view, so
-- every insert into usage_samples (cloudbill's or anyone's) maintains it; min and max are
-- idempotent, so the back-fill below may run again.
CREATE TABLE IF NOT EXISTS usage_sample_ranges (
    resource_id String,
    metric      String,
    first_ts    AggregateFunction(min, DateTime),
    last_ts     AggregateFunction(max, DateTime)
) ENGINE = AggregatingMergeTree
ORDER BY (resource_id, metric);

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_sample_ranges_mv TO usage_sample_ranges AS
SELECT resource_id, metric, minState(ts) AS first_ts, maxState(ts) AS last_ts
FROM usage_samples
GROUP BY resource_id, metric;

INSERT INTO usage_sample_ranges (resource_id, metric, first_ts, last_ts)
SELECT resource_id, metric, minState(ts), maxState(ts)
FROM usage_samples
GROUP BY resource_id, metric;
