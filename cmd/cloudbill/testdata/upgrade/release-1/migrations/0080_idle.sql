-- Idle resources (issue 12, §12–13): redundancy ratio versions, cases with their frozen
-- evidence and states, and the webhook deliveries to the multi-cloud management system.
-- Rows are never updated: a case's state is its latest idle_case_states row.

-- Redundancy ratios set by the municipal authority, per kind (vcpu, memory), in force from
-- effective (until the next version, or until `until` when has_until = 1). sizes: the
-- quantities offered (empty: every whole unit).
CREATE TABLE IF NOT EXISTS idle_ratio_versions (
    kind        String,
    effective   Date,
    has_until   UInt8,
    until       Date,
    ratio       Decimal(38, 6),
    sizes       Array(String),
    note        String,
    import_id   String,
    import_seq  UInt64,
    file        String,
    line        UInt32,
    imported_at DateTime
) ENGINE = MergeTree
ORDER BY (kind, effective, import_seq);

-- One row per case, written once when the reminder is made. orders: the case's orders at
-- the reminder as JSON (order_id, resource_id, item_code, zone, allocated, recommended,
-- saving); target: the recommended total allocation of those orders.
CREATE TABLE IF NOT EXISTS idle_cases (
    case_id       String,
    department_id String,
    parent_id     String,
    kind          String,
    reminder_date Date,
    deadline      Date,
    ratio         Decimal(38, 6),
    idle_ratio    Decimal(38, 12),
    allocated     Decimal(38, 6),
    target        Decimal(38, 6),
    saving        Decimal(38, 2),
    orders        String,
    created_at    DateTime
) ENGINE = MergeTree
ORDER BY case_id;

-- The states of a case: open (at the reminder), then resolved or overdue. seq orders them.
CREATE TABLE IF NOT EXISTS idle_case_states (
    case_id     String,
    seq         UInt32,
    state       String,
    on_date     Date,
    recorded_at DateTime,
    detail      String
) ENGINE = MergeTree
ORDER BY (case_id, seq);

-- Evidence: the figures of each analysis for a case's department and kind, one row per
-- resource, with the group's figures repeated. Frozen: an analysis date is recorded once.
CREATE TABLE IF NOT EXISTS idle_evidence (
    case_id         String,
    analysis_date   Date,
    department_id   String,
    kind            String,
    ratio           Decimal(38, 6),
    group_idle      Decimal(38, 12),
    group_allocated Decimal(38, 6),
    group_used      Decimal(38, 6),
    order_id        String,
    resource_id     String,
    item_code       String,
    zone            String,
    allocated       Decimal(38, 6),
    p95_util        Decimal(38, 6),
    used            Decimal(38, 8),
    days            UInt32,
    samples         UInt64,
    expected        UInt64,
    excluded        UInt64,
    status          String,
    recommended     Decimal(38, 6),
    saving          Decimal(38, 2),
    recorded_at     DateTime
) ENGINE = MergeTree
ORDER BY (case_id, analysis_date, order_id);

-- Every attempt to deliver a case event (state seq) to the webhook. outcome: delivered
-- (2xx), retry (network error, 5xx, 408, 429: tried again later), rejected (another 4xx:
-- never retried), gave_up (too many attempts).
CREATE TABLE IF NOT EXISTS idle_webhook_deliveries (
    case_id      String,
    seq          UInt32,
    event        String,
    url          String,
    attempt      UInt32,
    attempted_at DateTime,
    status_code  UInt16,
    outcome      String,
    error        String
) ENGINE = MergeTree
ORDER BY (case_id, seq, attempt);
