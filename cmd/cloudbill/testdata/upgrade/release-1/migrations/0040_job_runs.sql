-- Scheduled jobs (cloudbill serve): one row per completed run of a job, successful or
-- not. The scheduler reads nothing back from here to decide what to do (closes live in
-- period_closes); it is the operators' record of what ran, when, and how it ended.
CREATE TABLE IF NOT EXISTS job_runs (
    job         String,
    period      UInt32,
    trigger     String,
    started_at  DateTime,
    finished_at DateTime,
    status      String,
    detail      String,
    error       String
) ENGINE = MergeTree
ORDER BY (job, period, started_at);
