-- Core bookkeeping shared by every part of cloudbill.

-- Imports of input files (master data, samples, acceptance, invoices): where every
-- accepted fact came from.
CREATE TABLE IF NOT EXISTS imports (
    import_id   String,
    kind        String,
    file        String,
    sha256      String,
    rows        UInt64,
    imported_at DateTime,
    note        String
) ENGINE = MergeTree
ORDER BY (kind, imported_at, import_id);

-- Closed months. A month with a row here is frozen: its rated lines and statements are
-- never rewritten; later news is rated as adjustments in the first open month.
CREATE TABLE IF NOT EXISTS period_closes (
    period        UInt32,
    closed_at     DateTime,
    run_id        String,
    content_hash  String,
    allow_pending UInt8,
    pending       Array(String),
    lines         UInt64,
    total         Decimal(38, 2),
    closed_by     String
) ENGINE = ReplacingMergeTree
ORDER BY period;
