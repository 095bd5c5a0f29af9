-- Versions of the budget warning thresholds (issue 21; DESIGN.md "Money over the year":
-- the thresholds are versioned configuration). A version is in force from its effective
-- date (an analysis date on or after it) until the next version's; of two imports for the
-- same date the later (import_seq) wins; every import stays.
CREATE TABLE IF NOT EXISTS budget_thresholds (
    effective           Date,
    warning_share       Decimal(38, 4),
    over_share          Decimal(38, 4),
    forecast_over_share Decimal(38, 4),
    import_id           String,
    import_seq          UInt64,
    file                String,
    line                UInt32,
    imported_at         DateTime
) ENGINE = MergeTree
ORDER BY (effective, import_seq);
