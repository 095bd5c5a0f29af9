-- A budget warning records the share of the budget in force for its threshold when it
-- fired (the thresholds are versioned: 0.8000 is 80%), so that a later version does not
-- rewrite why an old warning fired. Warnings recorded before this column hold 0 (shown as
-- unknown). ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: the migration runner skips an
-- ADD COLUMN whose column is already there (re-runnable, sql/migrate_column.go).
ALTER TABLE budget_warnings ADD COLUMN share Decimal(38, 4) DEFAULT 0;
