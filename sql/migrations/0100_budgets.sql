-- Project budgets and their warnings (issue 21, DESIGN.md "Money over the year", §18).

-- Every version of a project's approved amount for a year: a later import replaces the
-- amount from then on (the latest import_seq is in force); earlier rows are the history.
CREATE TABLE IF NOT EXISTS budget_versions (
    project_id  String,
    year        UInt16,
    amount      Decimal(38, 2),
    import_id   String,
    import_seq  UInt64,
    file        String,
    line        UInt32,
    imported_at DateTime
) ENGINE = MergeTree
ORDER BY (project_id, year, import_seq);

-- Each threshold (spent_warning, spent_over, forecast_over_budget) fires once per project and
-- year: the first row of (project_id, year, threshold) is the warning, recorded with the
-- rating run (run_id, period) after which it was found crossed, and the figures then.
CREATE TABLE IF NOT EXISTS budget_warnings (
    project_id    String,
    year          UInt16,
    threshold     String,
    department_id String,
    parent_id     String,
    run_id        String,
    period        UInt32,
    budget        Decimal(38, 2),
    spent         Decimal(38, 2),
    forecast      Decimal(38, 2),
    fired_at      DateTime
) ENGINE = MergeTree
ORDER BY (project_id, year, threshold, fired_at);
