-- Collectors (issue 11): the mappings of each vendor's Prometheus configuration, every
-- window a collector tried (latest attempt wins per window; earlier attempts stay as the
-- record of what happened, with the reason of a re-collection), and the months closed
-- with windows missing (close --allow-incomplete).
CREATE TABLE IF NOT EXISTS collect_mappings (
    vendor_id      String,
    metric         String,
    query          String,
    resource_label String,
    window_seconds UInt32,
    lateness_seconds UInt32,
    start          DateTime,
    config_file    String,
    saved_at       DateTime,
    version        UInt64
) ENGINE = MergeTree
ORDER BY (vendor_id, metric, version);

CREATE TABLE IF NOT EXISTS collect_windows (
    vendor_id    String,
    metric       String,
    window_start DateTime,
    window_end   DateTime,
    status       String,
    series       UInt32,
    samples      UInt32,
    error        String,
    trigger      String,
    reason       String,
    recorded_at  DateTime,
    version      UInt64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (vendor_id, metric, window_start, version);

CREATE TABLE IF NOT EXISTS collect_incomplete_closes (
    period     UInt32,
    closed_at  DateTime,
    closed_by  String,
    missing    UInt32,
    detail     String
) ENGINE = MergeTree
ORDER BY (period, closed_at);
