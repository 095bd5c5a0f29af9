-- Webhook deliveries of the budget warnings (issue 21): every attempt to post a warning
-- (budget_warnings: one per project, year and threshold) to the multi-cloud management
-- system's webhook, by the rules of the idle case events' deliveries. A warning with a
-- delivered, rejected or gave_up attempt is never sent again.
CREATE TABLE IF NOT EXISTS budget_warning_deliveries (
    project_id   String,
    year         UInt16,
    threshold    String,
    event        String,
    url          String,
    attempt      UInt32,
    attempted_at DateTime,
    status_code  UInt16,
    outcome      String,
    error        String
) ENGINE = MergeTree
ORDER BY (project_id, year, threshold, attempt);
