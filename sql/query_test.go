package chstore

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"cloudbill/access"
	"cloudbill/backup"
	"cloudbill/catalog"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/metering"
	"cloudbill/reconcile"
	"cloudbill/statements"
)

// The SQL of the queries, reviewed as text with the arguments bound to it (the tests
// against a live server run it). After OpenMeter's streaming/clickhouse query tests.
func TestQuerySQL(t *testing.T) {
	nov := calendar.MustPeriod("2026-11")
	novStart, decStart := nov.Start().Unix(), nov.End().Unix()
	uploadedAt := time.Date(2026, 12, 3, 10, 0, 0, 0, calendar.Shanghai())
	tests := []struct {
		name     string
		query    func() (string, []any)
		wantSQL  string
		wantArgs []any
	}{
		{
			name:  "every close",
			query: closesQuery{}.toSQL,
			wantSQL: `SELECT period, closed_at, run_id, content_hash, allow_pending, pending, lines, total, closed_by
FROM period_closes FINAL ORDER BY period`,
		},
		{
			name:  "one month's close",
			query: closesQuery{period: &nov}.toSQL,
			wantSQL: `SELECT period, closed_at, run_id, content_hash, allow_pending, pending, lines, total, closed_by
FROM period_closes FINAL WHERE period = ? ORDER BY period`,
			wantArgs: []any{uint32(202611)},
		},
		{
			name:  "another vendor's samples of the windows",
			query: usageForeignQuery{period: nov, table: "usage_samples"}.toSQL,
			wantSQL: `SELECT resource_id, metric, source, uniqExact(ts)
FROM (
    SELECT resource_id, metric, ts, toDate(ts, 'Asia/Shanghai') AS day, source
    FROM usage_samples
    WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
      AND source IN (SELECT id FROM vendors)
) AS s ALL INNER JOIN (
    SELECT resource_id, metric, from_date, to_date, vendor FROM usage_windows
) AS w USING (resource_id, metric)
WHERE day >= from_date AND day <= to_date AND source != vendor
GROUP BY resource_id, metric, source
ORDER BY resource_id, metric, source
LIMIT 21`,
			wantArgs: []any{novStart, decStart},
		},
		{
			name:    "the newest audit events",
			query:   auditQuery{}.toSQL,
			wantSQL: "SELECT at, actor, role, action, target, outcome, remote, detail FROM audit_log ORDER BY at DESC, seq DESC LIMIT 0, 500",
		},
		{
			name:     "a page of an actor's audit events in a date range",
			query:    auditQuery{f: access.AuditFilter{Actor: "bureau", From: nov.Start(), To: nov.End(), Limit: 100, Offset: 200}}.toSQL,
			wantSQL:  "SELECT at, actor, role, action, target, outcome, remote, detail FROM audit_log WHERE actor = ? AND at >= ? AND at < ? ORDER BY at DESC, seq DESC LIMIT 200, 100",
			wantArgs: []any{"bureau", nov.Start().UTC(), nov.End().UTC()},
		},
		{
			name:     "how many audit events of an action",
			query:    auditQuery{f: access.AuditFilter{Action: "close", Limit: 100, Offset: 200}, count: true}.toSQL,
			wantSQL:  "SELECT count() FROM audit_log WHERE action = ?",
			wantArgs: []any{"close"},
		},
		{
			name:     "the files of an archived issue",
			query:    issueFilesQuery{period: nov, issueID: "2026-11-1"}.toSQL,
			wantSQL:  "SELECT path, content FROM statement_files WHERE period = ? AND issue_id = ? ORDER BY path",
			wantArgs: []any{uint32(202611), "2026-11-1"},
		},
		{
			name:    "every job run",
			query:   jobRunsQuery{}.toSQL,
			wantSQL: "SELECT job, period, trigger, started_at, finished_at, status, detail, error FROM job_runs ORDER BY started_at, job, period",
		},
		{
			name:     "one job's runs",
			query:    jobRunsQuery{job: "close"}.toSQL,
			wantSQL:  "SELECT job, period, trigger, started_at, finished_at, status, detail, error FROM job_runs WHERE job = ? ORDER BY started_at, job, period",
			wantArgs: []any{"close"},
		},
		{
			name:     "imports of a kind",
			query:    func() (string, []any) { return importsQuery("catalog") },
			wantSQL:  "SELECT import_id, kind, file, sha256, rows, imported_at, note FROM imports WHERE kind = ? ORDER BY imported_at, import_id",
			wantArgs: []any{"catalog"},
		},
		{
			name:  "samples out of the billed range",
			query: usageOutOfRangeQuery{period: nov}.toSQL,
			wantSQL: `SELECT resource_id, metric, ts, v FROM (
    SELECT resource_id, metric, ts, argMax(value, version) AS v
    FROM usage_samples
    WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
      AND (resource_id, metric, ts) IN (
          SELECT resource_id, metric, ts FROM usage_samples
          WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
            AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
            AND NOT (value >= 0 AND value <= 1e12))
    GROUP BY resource_id, metric, ts
    HAVING NOT (v >= 0 AND v <= 1e12)
)
ORDER BY resource_id, metric, ts
LIMIT 21`,
			wantArgs: []any{novStart, decStart, novStart, decStart},
		},
		{
			name: "sample stats of a resource range",
			query: sampleStatsQuery{filter: SampleFilter{From: nov.Start(), To: nov.End(), Metric: "cpu_util"},
				resources: resourceRange{First: "ecs-000001", Last: "ecs-000099"}}.toSQL,
			wantSQL: `SELECT count(), sum(rows), sum(v) FROM (
    SELECT resource_id, metric, ts, argMax(value, version) AS v, count() AS rows
    FROM usage_samples
    WHERE resource_id >= ? AND resource_id <= ? AND ts >= ? AND ts < ? AND metric = ?
    GROUP BY resource_id, metric, ts)`,
			wantArgs: []any{"ecs-000001", "ecs-000099", novStart, decStart, "cpu_util"},
		},
		{
			name:  "stored rows of every resource",
			query: resourceCountsQuery{}.toSQL,
			wantSQL: `SELECT resource_id, count() FROM usage_samples
    GROUP BY resource_id ORDER BY resource_id`,
		},
		{
			name:  "latest samples of a metric",
			query: latestSamplesQuery{filter: SampleFilter{Metric: "net_out_gb"}}.toSQL,
			wantSQL: `SELECT resource_id, metric, ts, argMax(value, version), argMax(source, version)
FROM usage_samples
    WHERE metric = ?
GROUP BY resource_id, metric, ts
ORDER BY resource_id, metric, ts`,
			wantArgs: []any{"net_out_gb"},
		},
		{
			name:  "what is stored of a file's series in a month",
			query: storedLatestQuery{window: metering.TSRange{First: novStart, Last: decStart - 1}}.toSQL,
			wantSQL: `SELECT sid, toUInt32(ts), value, version
FROM (
    SELECT resource_id, metric, ts, value, version
    FROM usage_samples
    PREWHERE ts >= toDateTime(?) AND ts <= toDateTime(?)
    WHERE resource_id IN (SELECT resource_id FROM batch_series)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM batch_series)
) AS s ALL INNER JOIN (
    SELECT resource_id, metric, sid FROM batch_series
) AS b USING (resource_id, metric)`,
			wantArgs: []any{novStart, decStart - 1},
		},
		{
			name:  "series of the windows with two owners in the month",
			query: mixedOwnersQuery{period: nov, table: "usage_samples"}.toSQL,
			wantSQL: `SELECT count() FROM (
    SELECT resource_id, metric
    FROM usage_samples
    WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
    GROUP BY resource_id, metric
    HAVING uniqExact(if(source IN (SELECT id FROM vendors), source, '')) > 1
)`,
			wantArgs: []any{novStart, decStart},
		},
		{
			name:  "budgets in force",
			query: budgetsQuery{}.toSQL,
			wantSQL: `SELECT project_id, year, argMax(amount, import_seq), argMax(import_id, import_seq), argMax(file, import_seq),
argMax(line, import_seq), max(imported_at)
FROM budget_versions GROUP BY project_id, year ORDER BY project_id, year`,
		},
		{
			name:  "every budget version",
			query: budgetsQuery{history: true}.toSQL,
			wantSQL: `SELECT project_id, year, amount, import_id, file, line, imported_at FROM budget_versions
ORDER BY project_id, year, import_seq`,
		},
		{
			name: "a year's lines added up",
			query: yearLineSumsQuery{from: calendar.MustPeriod("2026-01"), to: calendar.MustPeriod("2026-12"),
				runs: []string{"2026-01-a", "2026-02-b"}}.toSQL,
			wantSQL: `SELECT period, kind, department_id, vendor_id, category, project_id, sum(amount)
FROM rated_lines
WHERE period >= ? AND period <= ? AND has(?, run_id)
GROUP BY period, kind, department_id, vendor_id, category, project_id
ORDER BY period, kind, department_id, vendor_id, category, project_id`,
			wantArgs: []any{uint32(202601), uint32(202612), []string{"2026-01-a", "2026-02-b"}},
		},
		{
			name:  "the sessions of signed-in browsers",
			query: sessionsByHashQuery{hashes: []string{"h1", "h2"}}.toSQL,
			wantSQL: `SELECT hash, argMax(login, version), argMax(csrf, version), min(created_at), max(last_seen), max(ended_at), argMax(remote, version)
FROM sessions WHERE has(?, hash) GROUP BY hash`,
			wantArgs: []any{[]string{"h1", "h2"}},
		},
		{
			name: "metered days of a window",
			query: meteredDaysQuery{from: calendar.MustDate("2026-09-01"), to: calendar.MustDate("2026-11-29"),
				runs: []string{"r"}}.toSQL,
			wantSQL: `SELECT order_id, project_id, date, sum(amount)
FROM rated_days
WHERE kind = 'metered' AND date >= toDate(?) AND date <= toDate(?) AND has(?, run_id)
GROUP BY order_id, project_id, date
ORDER BY order_id, date`,
			wantArgs: []any{"2026-09-01", "2026-11-29", []string{"r"}},
		},
		{
			name:     "is a column there (a migration's ADD COLUMN, re-run)",
			query:    columnCountQuery{db: "cloudbill", table: "budget_warnings", column: "share"}.toSQL,
			wantSQL:  `SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?`,
			wantArgs: []any{"cloudbill", "budget_warnings", "share"},
		},
		{
			name:  "a year's budget warnings",
			query: budgetWarningsQuery{year: 2026}.toSQL,
			wantSQL: `SELECT project_id, year, threshold, argMin(department_id, fired_at), argMin(parent_id, fired_at), argMin(run_id, fired_at),
argMin(period, fired_at), argMin(budget, fired_at), argMin(spent, fired_at), argMin(forecast, fired_at), argMin(share, fired_at), min(fired_at)
FROM budget_warnings WHERE year = ?
GROUP BY project_id, year, threshold
ORDER BY min(fired_at), project_id, threshold`,
			wantArgs: []any{uint16(2026)},
		},
		{
			name:  "every budget threshold version",
			query: budgetThresholdsQuery{}.toSQL,
			wantSQL: `SELECT effective, warning_share, over_share, forecast_over_share, import_id, file, line, imported_at
FROM budget_thresholds ORDER BY import_seq, effective`,
		},
		{
			name:  "budget warnings not yet delivered",
			query: pendingWarningDeliveriesQuery{}.toSQL,
			wantSQL: `SELECT w.project_id, w.year, w.threshold, toUInt32(ifNull(d.attempts, 0))
FROM (
    SELECT project_id, year, threshold, min(fired_at) AS fired FROM budget_warnings GROUP BY project_id, year, threshold
) AS w
ALL LEFT JOIN (
    SELECT project_id, year, threshold, count() AS attempts, countIf(outcome IN ('delivered', 'rejected', 'gave_up')) AS final
    FROM budget_warning_deliveries GROUP BY project_id, year, threshold
) AS d USING (project_id, year, threshold)
WHERE ifNull(d.final, 0) = 0
ORDER BY w.fired, w.project_id, w.threshold`,
		},
		{
			name:  "a year's budget warning deliveries",
			query: warningDeliveriesQuery{year: 2026}.toSQL,
			wantSQL: `SELECT project_id, year, threshold, event, url, attempt, attempted_at, status_code, outcome, error
FROM budget_warning_deliveries WHERE year = ?
ORDER BY project_id, threshold, attempt`,
			wantArgs: []any{uint16(2026)},
		},
		{
			name:     "the tables a backup copies",
			query:    backupTablesQuery{db: "cloudbill"}.toSQL,
			wantSQL:  "SELECT name, engine FROM system.tables WHERE database = ? AND name != 'schema_migrations' AND NOT startsWith(name, '.') AND engine NOT IN ('View', 'MaterializedView') ORDER BY name",
			wantArgs: []any{"cloudbill"},
		},
		{
			name: "a Replacing table's rows for a backup",
			query: func() (string, []any) {
				sql, args, _ := dumpQuery{d: backup.Dump{Table: backup.Table{Name: "users", Engine: "ReplacingMergeTree"}}}.toSQL()
				return sql, args
			},
			wantSQL: "SELECT * FROM `users` FINAL",
		},
		{
			name: "some months' samples for a backup, named columns (read back after a restore)",
			query: func() (string, []any) {
				sql, args, _ := dumpQuery{d: backup.Dump{Table: backup.Table{Name: "usage_samples", Engine: "ReplacingMergeTree"},
					Columns: []string{"resource_id", "ts"}, TimeColumn: "ts", From: nov.Start(), To: nov.End()}}.toSQL()
				return sql, args
			},
			wantSQL:  "SELECT `resource_id`, `ts` FROM `usage_samples` FINAL WHERE `ts` >= ? AND `ts` < ?",
			wantArgs: []any{nov.Start().UTC(), nov.End().UTC()},
		},
		{
			name:  "every payment voucher",
			query: paymentsQuery{}.toSQL,
			wantSQL: `SELECT voucher_no, vendor_id, period, amount, paid_date, refunds, import_id, file, line, imported_at FROM payments
ORDER BY voucher_no, import_seq`,
		},
		{
			name:  "nets of closed runs",
			query: vendorNetsQuery{runs: []string{"2026-11-a"}}.toSQL,
			wantSQL: `SELECT period, vendor_id, department_id, sum(amount)
FROM rated_lines WHERE has(?, run_id)
GROUP BY period, vendor_id, department_id
ORDER BY period, vendor_id, department_id`,
			wantArgs: []any{[]string{"2026-11-a"}},
		},
		{
			name:  "estimates in force",
			query: estimatesQuery{}.toSQL,
			wantSQL: `SELECT period, estimate_id, as_of, issued_at, issued_by, content_hash, lines, total, rates FROM estimates
WHERE estimate_id NOT IN (SELECT estimate_id FROM estimate_withdrawals)
ORDER BY period, issued_at, estimate_id`,
		},
		{
			name:  "an estimate's lines",
			query: estimateLinesQuery{id: "2026-12-estimate-x"}.toSQL,
			wantSQL: `SELECT kind, department_id, vendor_id, project_id, category, order_id, item_code, zone, to_date, rest, amount, note
FROM estimate_lines WHERE estimate_id = ? ORDER BY seq`,
			wantArgs: []any{"2026-12-estimate-x"},
		},
		{
			name:  "nets of estimates",
			query: estimateNetsQuery{ids: []string{"2026-12-estimate-x"}}.toSQL,
			wantSQL: `SELECT period, vendor_id, department_id, sum(amount)
FROM estimate_lines WHERE has(?, estimate_id)
GROUP BY period, vendor_id, department_id
ORDER BY period, vendor_id, department_id`,
			wantArgs: []any{[]string{"2026-12-estimate-x"}},
		},
		{
			name:  "the evidence of some idle cases",
			query: evidenceQuery{cases: []idle.CaseID{"20261130-D1-vcpu", "20261130-D2-memory"}}.toSQL,
			wantSQL: `SELECT case_id, analysis_date, department_id, kind, ratio, group_idle, group_allocated, group_used, order_id, resource_id,
item_code, zone, allocated, p95_util, used, days, samples, expected, excluded, status, recommended, saving
FROM idle_evidence WHERE has(?, case_id) ORDER BY case_id, analysis_date, order_id`,
			wantArgs: []any{[]string{"20261130-D1-vcpu", "20261130-D2-memory"}},
		},
		{
			name:  "every rated month, its latest run",
			query: ratedMonthsQuery{}.toSQL,
			wantSQL: `SELECT period, argMax(run_id, run_no), max(rated_at), argMax(lines, run_no), argMax(total, run_no), argMax(pending, run_no)
FROM rating_runs GROUP BY period ORDER BY period`,
		},
		{
			name: "an archived issue recorded",
			query: statementIssueInsert{is: statements.ArchiveIssue{Period: nov, Final: true, IssuedAt: uploadedAt, Net: decimal.RequireFromString("12.34")},
				issueID: "2026-11-i1", archivedAt: uploadedAt.Add(time.Minute), files: 3}.toSQL,
			wantSQL:  "INSERT INTO statement_issues (period, issue_id, final, issued_at, archived_at, files, net)",
			wantArgs: []any{uint32(202611), "2026-11-i1", uint8(1), uploadedAt.UTC(), uploadedAt.Add(time.Minute).UTC(), uint32(3), decimal.RequireFromString("12.34")},
		},
		{
			name:    "every archived issue",
			query:   issuesQuery{}.toSQL,
			wantSQL: "SELECT period, issue_id, final, issued_at, archived_at, files, net FROM statement_issues ORDER BY period, archived_at, issue_id",
		},
		{
			name:     "a month's archived issues",
			query:    issuesQuery{period: nov}.toSQL,
			wantSQL:  "SELECT period, issue_id, final, issued_at, archived_at, files, net FROM statement_issues WHERE period = ? ORDER BY period, archived_at, issue_id",
			wantArgs: []any{uint32(202611)},
		},
		{
			name:     "the hashes of an archived issue's files",
			query:    issueHashesQuery{period: nov, issueID: "2026-11-i1"}.toSQL,
			wantSQL:  "SELECT path, sha256 FROM statement_files WHERE period = ? AND issue_id = ?",
			wantArgs: []any{uint32(202611), "2026-11-i1"},
		},
		{
			name:     "one archived file",
			query:    archivedFileQuery{period: nov, issueID: "2026-11-i1", path: "summary.csv"}.toSQL,
			wantSQL:  "SELECT content FROM statement_files WHERE period = ? AND issue_id = ? AND path = ? LIMIT 1",
			wantArgs: []any{uint32(202611), "2026-11-i1", "summary.csv"},
		},
		{
			name:  "the redundancy ratio versions in force",
			query: idleRatiosQuery{}.toSQL,
			wantSQL: `SELECT kind, effective, has_until, until, ratio, sizes, note, import_id, file, line
FROM idle_ratio_versions ORDER BY kind, effective, import_seq DESC LIMIT 1 BY kind, effective`,
		},
		{
			name:    "the analysis dates of the idle evidence",
			query:   evidenceDatesQuery{}.toSQL,
			wantSQL: "SELECT DISTINCT case_id, analysis_date FROM idle_evidence",
		},
		{
			name:    "every rated month",
			query:   ratedPeriodsQuery{}.toSQL,
			wantSQL: "SELECT DISTINCT period FROM rating_runs ORDER BY period",
		},
		{
			name:  "a run's totals by department and vendor",
			query: runTotalsQuery{period: nov, runID: "2026-11-r1"}.toSQL,
			wantSQL: `SELECT department_id, vendor_id, sum(amount) FROM rated_lines WHERE period = ? AND run_id = ?
GROUP BY department_id, vendor_id ORDER BY department_id, vendor_id`,
			wantArgs: []any{uint32(202611), "2026-11-r1"},
		},
		{
			name: "an invoice upload stored",
			query: invoiceUploadInsert{reconcile.Upload{ID: "feedface", Vendor: "V01", Period: nov, UploadedAt: uploadedAt, UploadedBy: "finance",
				FileName: "v01.csv", FileSHA256: "abc", File: []byte("claims"), Provisional: true, Claimed: decimal.RequireFromString("10.00"),
				Ours: decimal.RequireFromString("9.50"), Difference: decimal.RequireFromString("0.50"), Differences: 2, Summary: "2 differences",
				ReportCSV: []byte("csv"), ReportPDF: []byte("%PDF")}}.toSQL,
			wantSQL: `INSERT INTO invoice_uploads (upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256,
file_content, provisional, claimed, ours, difference, differences, summary, report_csv, report_pdf)`,
			wantArgs: []any{"feedface", "V01", uint32(202611), uploadedAt.UTC(), "finance", "v01.csv", "abc", "claims",
				uint8(1), decimal.RequireFromString("10.00"), decimal.RequireFromString("9.50"), decimal.RequireFromString("0.50"), uint32(2), "2 differences", "csv", "%PDF"},
		},
		{
			name:  "every invoice upload",
			query: invoiceUploadsQuery{}.toSQL,
			wantSQL: `SELECT upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256, provisional, claimed, ours, difference, differences
FROM invoice_uploads ORDER BY uploaded_at DESC, upload_id`,
		},
		{
			name:  "a vendor's invoice uploads",
			query: invoiceUploadsQuery{vendor: "V01"}.toSQL,
			wantSQL: `SELECT upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256, provisional, claimed, ours, difference, differences
FROM invoice_uploads WHERE vendor_id = ? ORDER BY uploaded_at DESC, upload_id`,
			wantArgs: []any{"V01"},
		},
		{
			name:  "one invoice upload with its report",
			query: invoiceUploadQuery{id: "feedface"}.toSQL,
			wantSQL: `SELECT upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256, provisional, claimed, ours, difference, differences,
summary, report_csv, report_pdf FROM invoice_uploads WHERE upload_id = ? LIMIT 1`,
			wantArgs: []any{"feedface"},
		},
		{
			name:  "daily amounts of some departments",
			query: dailyAmountsOfQuery{period: nov, runID: "2026-11-r1", deps: []catalog.DepartmentID{"D01", "D02"}}.toSQL,
			wantSQL: `SELECT date, department_id, vendor_id, project_id, order_id, item_code, kind, quantity, unit_price, amount
FROM rated_days WHERE period = ? AND run_id = ? AND department_id IN (?, ?) ORDER BY date, order_id, line_seq`,
			wantArgs: []any{uint32(202611), "2026-11-r1", "D01", "D02"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotSQL, gotArgs := tt.query()
			assert.Equal(t, tt.wantSQL, gotSQL)
			assert.Equal(t, tt.wantArgs, gotArgs)
		})
	}
}

// The rating aggregates: the month's bounds are the only arguments; the sample identity
// is grouped by its hash, or by name when hashes collide; a cluster's shards read their
// local table.
func TestUsageAggregatesSQL(t *testing.T) {
	nov := calendar.MustPeriod("2026-11")
	tests := []struct {
		name          string
		byName        bool
		table         string
		wantFragments []string
	}{
		{"by hash", false, "usage_samples", []string{
			"SELECT cityHash64(resource_id, metric) AS h, ts, toDate(ts, 'Asia/Shanghai') AS day, value, version",
			"if(source IN (SELECT id FROM vendors), source, '') AS owner",
			"FROM usage_samples\n", "(owner = '' OR owner = vendor)", "GROUP BY wid, agg, ts, day", "USING (h)", "quantileExactIfMerge(0.95)(qs)"}},
		{"by name", true, "usage_samples", []string{
			"SELECT resource_id, metric, ts,", "USING (resource_id, metric)"}},
		{"a shard", false, "usage_samples_local", []string{"FROM usage_samples_local\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args := usageAggregatesQuery{period: nov, byName: tt.byName, table: tt.table}.toSQL()
			assert.Equal(t, []any{nov.Start().Unix(), nov.End().Unix()}, args)
			for _, f := range tt.wantFragments {
				assert.Contains(t, sql, f)
			}
			assert.Equal(t, 2, strings.Count(sql, "?"), "every value bound")
		})
	}
}
