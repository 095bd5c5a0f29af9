-- Estimated settlements of a month not yet closed (issue 21: the December estimate that
-- lets December be paid in-year). An estimate is issued once per month: a second one is
-- refused unless the first was withdrawn (estimate_withdrawals). Its lines are frozen
-- with the content hash of their CSV; the true-up (final − estimate) is computed from
-- them when the month closes.
CREATE TABLE IF NOT EXISTS estimates (
    period       UInt32,
    estimate_id  String,
    as_of        Date,
    issued_at    DateTime,
    issued_by    String,
    content_hash String,
    lines        UInt64,
    total        Decimal(38, 2),
    rates        String
) ENGINE = MergeTree
ORDER BY (period, issued_at, estimate_id);

CREATE TABLE IF NOT EXISTS estimate_withdrawals (
    period       UInt32,
    estimate_id  String,
    withdrawn_at DateTime,
    withdrawn_by String,
    reason       String
) ENGINE = MergeTree
ORDER BY (period, estimate_id);

-- kind: charge, metered, unfunded, adjustment, deduction; to_date and rest unrounded,
-- amount = round(to_date + rest) (a deduction: its allocation to the fen).
CREATE TABLE IF NOT EXISTS estimate_lines (
    period        UInt32,
    estimate_id   String,
    seq           UInt32,
    kind          String,
    department_id String,
    vendor_id     String,
    project_id    String,
    category      String,
    order_id      String,
    item_code     String,
    zone          String,
    to_date       Decimal(38, 18),
    rest          Decimal(38, 18),
    amount        Decimal(38, 2),
    note          String
) ENGINE = MergeTree
ORDER BY (period, estimate_id, seq);
