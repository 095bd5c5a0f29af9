-- Rating results (issue 4). A rating run writes its lines, daily detail and vendor
-- deductions under a fresh run_id, then records itself in rating_runs: that row is the
-- commit. Readers take a month's run from period_closes.run_id when the month is closed,
-- else the highest run_no in rating_runs, so they never see half a run. After a commit
-- the rows of the month's superseded runs are deleted (an open month only; a closed
-- month's run is never touched).

-- One row per run: what it read (fingerprint of every input), when, and what it made.
CREATE TABLE IF NOT EXISTS rating_runs (
    run_id      String,
    period      UInt32,
    run_no      UInt32,
    rated_at    DateTime,
    fingerprint String,
    lines       UInt64,
    total       Decimal(38, 2),
    gross       Decimal(38, 2),
    deductions  Decimal(38, 2),
    adjustments Decimal(38, 2),
    pending     Array(String),
    exceptions  Array(String)
) ENGINE = MergeTree
ORDER BY (period, run_no, run_id);

-- Rated lines, for analysts: select the month's run (see above), e.g.
--   SELECT department_id, sum(amount) FROM rated_lines
--   WHERE period = 202611 AND run_id = (SELECT argMax(run_id, run_no) FROM rating_runs WHERE period = 202611)
--   GROUP BY department_id
-- kind: charge, metered, deduction, adjustment, unfunded. amount is rounded to the fen;
-- unrounded is the exact prorated amount; daily_amount is each day's amount but the
-- last (rated_days). corrects (YYYYMM) and corrects_kind: what an adjustment corrects.
CREATE TABLE IF NOT EXISTS rated_lines (
    period          UInt32,
    run_id          String,
    seq             UInt32,
    kind            String,
    department_id   String,
    vendor_id       String,
    project_id      String,
    category        String,
    order_id        String,
    item_code       String,
    zone            String,
    mode            String,
    from_date       Date,
    to_date         Date,
    days            Int32,
    days_in_month   UInt8,
    quantity        Decimal(38, 10),
    unit_price      Decimal(38, 10),
    unrounded       Decimal(38, 18),
    amount          Decimal(38, 2),
    daily_amount    Decimal(38, 18),
    catalog_version Date,
    corrects        UInt32,
    corrects_kind   String,
    note            String
) ENGINE = MergeTree
PARTITION BY period
ORDER BY (period, run_id, seq);

-- Daily detail: one row per day of every charge, metered and unfunded line (unrounded;
-- the days of a line add up to its unrounded amount exactly).
CREATE TABLE IF NOT EXISTS rated_days (
    period        UInt32,
    run_id        String,
    date          Date,
    department_id String,
    vendor_id     String,
    project_id    String,
    order_id      String,
    item_code     String,
    kind          String,
    quantity      Decimal(38, 10),
    unit_price    Decimal(38, 10),
    amount        Decimal(38, 18),
    line_seq      UInt32
) ENGINE = MergeTree
PARTITION BY period
ORDER BY (period, run_id, line_seq, date);

-- How each vendor's acceptance record became its deduction (detail: the full record as
-- JSON, with the tiers that matched).
CREATE TABLE IF NOT EXISTS vendor_deductions (
    period           UInt32,
    run_id           String,
    vendor_id        String,
    pending          UInt8,
    effective_result String,
    security_valid   UInt8,
    rate             Decimal(38, 6),
    gross            Decimal(38, 2),
    deduction        Decimal(38, 2),
    net              Decimal(38, 2),
    rules_version    String,
    detail           String
) ENGINE = MergeTree
PARTITION BY period
ORDER BY (period, run_id, vendor_id);
