-- Deduction rules as versioned configuration (`cloudbill rules import FILE --effective
-- YYYY-MM`): one row per imported version, its body the rules CSV of that version
-- (effective, group, threshold, rate_percent). Rows are never updated; a month is rated
-- with the version of the latest effective month not after it, of two versions of the
-- same month the later import (import_seq: nanoseconds of the import time); before the first version, the built-in defaults.
CREATE TABLE IF NOT EXISTS deduction_rules (
    effective   UInt32,
    import_id   String,
    import_seq  UInt64,
    imported_at DateTime,
    file        String,
    sha256      String,
    body        String
) ENGINE = MergeTree
ORDER BY (effective, import_seq);
