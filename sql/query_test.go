package chstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"cloudbill/access"
	"cloudbill/backup"
	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/metering"
	"cloudbill/metering/pull"
	"cloudbill/rating"
	"cloudbill/reconcile"
	"cloudbill/schedule/jobrun"
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
			name:    "imports mark",
			query:   importsMarkQuery{}.toSQL,
			wantSQL: "SELECT toString(count()), toString(max(imported_at)), toString(groupBitXor(cityHash64(import_id))) FROM imports",
		},
		{
			name:     "imports of a kind",
			query:    importsQuery{kind: "catalog"}.toSQL,
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
      AND (resource_id, metric, ts) GLOBAL IN (
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
				q, _ := newDumpQuery(backup.Dump{Table: backup.Table{Name: "users", Engine: "ReplacingMergeTree"}})
				return q.toSQL()
			},
			wantSQL: "SELECT * FROM `users` FINAL",
		},
		{
			name: "some months' samples for a backup, named columns (read back after a restore)",
			query: func() (string, []any) {
				q, _ := newDumpQuery(backup.Dump{Table: backup.Table{Name: "usage_samples", Engine: "ReplacingMergeTree"},
					Columns: []string{"resource_id", "ts"}, TimeColumn: "ts", From: nov.Start(), To: nov.End()})
				return q.toSQL()
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

// firstRow is a block insert's INSERT and its first row's values, for the tables below.
func firstRow(b blockInsert) func() (string, []any) {
	return func() (string, []any) { return b.toSQL(), b.row(0) }
}

// The statements of the store's files, file by file (each also runs against a live
// server in the store's tests and in the chDB suite, chdb_test.go).
func TestStatementSQL(t *testing.T) {
	nov := calendar.MustPeriod("2026-11")
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, calendar.Shanghai())
	d := decimal.RequireFromString
	imp := catalog.Import{ID: "imp-1", Kind: "orders", File: "orders.csv", SHA256: "abc", Rows: 2, At: at, Note: "2 events"}
	seq := uint64(at.UnixNano())
	source := catalog.Source{ImportID: "imp-1", File: "orders.csv", Line: 7}
	score, until := d("95.5"), calendar.MustDate("2027-03-31")
	novStart, decStart := nov.Start().Unix(), nov.End().Unix()
	tests := []struct {
		name     string
		query    func() (string, []any)
		wantSQL  string
		wantArgs []any
	}{
		// claims.go
		{
			name:  "a claim of a month's close",
			query: claimInsert{period: nov, id: "c1", claimant: claimant{host: "h", pid: 42, holder: "cli"}}.toSQL,
			wantSQL: `INSERT INTO close_claims (period, claim_id, host, pid, holder, claimed_at, expires_at, released)
SELECT ?, ?, ?, ?, ?, now(), now() + ?, 0`,
			wantArgs: []any{uint32(202611), "c1", "h", uint32(42), "cli", uint32(60)},
		},
		{
			name:  "a claim released",
			query: claimInsert{period: nov, id: "c1", claimant: claimant{host: "h", pid: 42, holder: "cli"}, release: true}.toSQL,
			wantSQL: `INSERT INTO close_claims (period, claim_id, host, pid, holder, claimed_at, expires_at, released)
SELECT ?, ?, ?, ?, ?, now(), now(), 1`,
			wantArgs: []any{uint32(202611), "c1", "h", uint32(42), "cli"},
		},
		{name: "the server's clock", query: serverNowQuery{}.toSQL, wantSQL: "SELECT now()"},
		{
			name:  "the claims of a month's close",
			query: closeClaimsQuery{period: nov}.toSQL,
			wantSQL: `SELECT claim_id, any(host), any(pid), any(holder), min(claimed_at), max(expires_at), max(released)
FROM close_claims WHERE period = ? GROUP BY claim_id`,
			wantArgs: []any{uint32(202611)},
		},
		// close.go, jobs.go
		{
			name: "a close recorded",
			query: closeInsert{rating.Close{Period: nov, ClosedAt: at, RunID: "r1", ContentHash: "h", AllowPending: true,
				Pending: []catalog.VendorID{"V2"}, Lines: 3, Total: d("12.34"), ClosedBy: "finance"}}.toSQL,
			wantSQL:  "INSERT INTO period_closes (period, closed_at, run_id, content_hash, allow_pending, pending, lines, total, closed_by)",
			wantArgs: []any{uint32(202611), at.UTC(), "r1", "h", uint8(1), []string{"V2"}, uint64(3), d("12.34"), "finance"},
		},
		{
			name: "a job run recorded",
			query: jobRunInsert{jobrun.Run{Job: "close", Period: nov, Trigger: "schedule", StartedAt: at, FinishedAt: at.Add(time.Second),
				Status: jobrun.OK, Detail: "closed"}}.toSQL,
			wantSQL:  "INSERT INTO job_runs (job, period, trigger, started_at, finished_at, status, detail, error)",
			wantArgs: []any{"close", uint32(202611), "schedule", at.UTC(), at.Add(time.Second).UTC(), "ok", "closed", ""},
		},
		// rules.go
		{
			name:  "every version of the deduction rules",
			query: ruleVersionsQuery{}.toSQL,
			wantSQL: `SELECT effective, import_id, import_seq, file, body
FROM deduction_rules
ORDER BY effective, import_seq`,
		},
		{
			name: "a version of the deduction rules stored",
			query: rulesInsert{v: rating.Rules{Effective: nov, ImportID: "rules-1", ImportedAt: at}, file: "rules.yaml", sha256: "abc",
				body: []byte("a: 1\n")}.toSQL,
			wantSQL:  "INSERT INTO deduction_rules (effective, import_id, import_seq, imported_at, file, sha256, body)",
			wantArgs: []any{uint32(202611), "rules-1", seq, at.UTC(), "rules.yaml", "abc", "a: 1\n"},
		},
		// catalog.go
		{
			name:     "an import recorded",
			query:    importInsert{imp}.toSQL,
			wantSQL:  "INSERT INTO imports (import_id, kind, file, sha256, rows, imported_at, note)",
			wantArgs: []any{"imp-1", "orders", "orders.csv", "abc", uint64(2), at.UTC(), "2 events"},
		},
		{
			name: "a catalog version's items",
			query: firstRow(catalogItemsInsert{imp: imp, effective: calendar.MustDate("2026-01-01"), items: []catalog.Item{{Code: "C01", Name: "vCPU",
				Category: "compute", Unit: "vCPU·月", Billing: "allocated", Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: d("30")},
				Mode: "monthly", Source: source}}}),
			wantSQL: `INSERT INTO catalog_items (effective, import_id, import_seq, code, name, category, unit, billing,
has_internet, price_internet, has_extranet, price_extranet, meter_metric, meter_agg, mode, file, line, imported_at)`,
			wantArgs: []any{calendar.MustDate("2026-01-01").Time(), "imp-1", seq, "C01", "vCPU", "compute", "vCPU·月", "allocated",
				uint8(1), d("30"), uint8(0), decimal.Decimal{}, "", "", "monthly", "orders.csv", uint32(7), at},
		},
		{
			name:     "a catalog version recorded",
			query:    catalogVersionInsert{imp: imp, effective: calendar.MustDate("2026-01-01"), items: 12}.toSQL,
			wantSQL:  "INSERT INTO catalog_versions (effective, import_id, import_seq, items, file, imported_at)",
			wantArgs: []any{calendar.MustDate("2026-01-01").Time(), "imp-1", seq, uint32(12), "orders.csv", at},
		},
		{
			name:    "the catalog's effective dates",
			query:   catalogVersionsQuery{}.toSQL,
			wantSQL: "SELECT effective, argMax(import_id, import_seq) FROM catalog_versions GROUP BY effective ORDER BY effective",
		},
		{
			name:  "the items of the catalog versions in force",
			query: catalogItemsQuery{}.toSQL,
			wantSQL: `SELECT import_id, code, name, category, unit, billing, has_internet, price_internet,
has_extranet, price_extranet, meter_metric, meter_agg, mode, file, line FROM catalog_items
WHERE import_id IN (SELECT argMax(import_id, import_seq) FROM catalog_versions GROUP BY effective)`,
		},
		{
			name:    "every adaptation",
			query:   adaptationsQuery{}.toSQL,
			wantSQL: "SELECT resource_type, item_code, note, import_id, file, line FROM catalog_adaptations ORDER BY import_seq, line",
		},
		{
			name:     "adaptations stored",
			query:    firstRow(adaptationsInsert{imp: imp, as: []catalog.Adaptation{{ResourceType: "gpu-x", Item: "C09", Note: "n", Source: source}}}),
			wantSQL:  "INSERT INTO catalog_adaptations (resource_type, item_code, note, import_id, import_seq, file, line, imported_at)",
			wantArgs: []any{"gpu-x", "C09", "n", "imp-1", seq, "orders.csv", uint32(7), at},
		},
		{
			name:     "departments stored",
			query:    firstRow(departmentsInsert{imp: imp, ds: []catalog.Department{{ID: "D0101", Name: "科", Parent: "D01", Source: source}}}),
			wantSQL:  "INSERT INTO departments (id, name, parent_id, import_id, import_seq, file, line, imported_at)",
			wantArgs: []any{"D0101", "科", "D01", "imp-1", seq, "orders.csv", uint32(7), at},
		},
		{
			name: "projects stored",
			query: firstRow(projectsInsert{imp: imp, ps: []catalog.Project{{ID: "P01", Year: 2026, Name: "项目", Department: "D01",
				Category: catalog.CategoryOM, Approved: true, Source: source}}}),
			wantSQL:  "INSERT INTO projects (id, year, name, department_id, category, approved, import_id, import_seq, file, line, imported_at)",
			wantArgs: []any{"P01", uint16(2026), "项目", "D01", "om", uint8(1), "imp-1", seq, "orders.csv", uint32(7), at},
		},
		{
			name:     "vendors stored",
			query:    firstRow(vendorsInsert{imp: imp, vs: []catalog.Vendor{{ID: "V1", Name: "云", Source: source}}}),
			wantSQL:  "INSERT INTO vendors (id, name, import_id, import_seq, file, line, imported_at)",
			wantArgs: []any{"V1", "云", "imp-1", seq, "orders.csv", uint32(7), at},
		},
		{
			name:    "every department row",
			query:   departmentsQuery{}.toSQL,
			wantSQL: "SELECT id, name, parent_id, import_id, file, line FROM departments ORDER BY import_seq, line",
		},
		{
			name:    "every project row",
			query:   projectsQuery{}.toSQL,
			wantSQL: "SELECT id, year, name, department_id, category, approved, import_id, file, line FROM projects ORDER BY import_seq, line",
		},
		{
			name:    "every vendor row",
			query:   vendorsQuery{}.toSQL,
			wantSQL: "SELECT id, name, import_id, file, line FROM vendors ORDER BY import_seq, line",
		},
		{
			name: "work-order events stored",
			query: firstRow(orderEventsInsert{imp: imp, es: []catalog.Event{{Order: "X4", Kind: "open", Effective: calendar.MustDate("2026-10-01"),
				Config: catalog.Config{Department: "D01", Project: "P01", Vendor: "V2", Zone: catalog.ZoneInternet, Item: "N04", Quantity: d("1"), ResourceID: "vm-4"},
				Late:   true, Source: source}}}),
			wantSQL: `INSERT INTO order_events (order_id, kind, effective_date, department_id, project_id, vendor_id, zone,
item_code, quantity, resource_id, resource_type, portion, late, import_id, import_seq, file, line, imported_at)`,
			wantArgs: []any{"X4", "open", calendar.MustDate("2026-10-01").Time(), "D01", "P01", "V2", "internet", "N04", d("1"), "vm-4", "", "", uint8(1),
				"imp-1", seq, "orders.csv", uint32(7), at},
		},
		{
			name:  "every work-order event",
			query: orderEventsQuery{}.toSQL,
			wantSQL: `SELECT order_id, kind, effective_date, department_id, project_id, vendor_id, zone, item_code, quantity,
resource_id, resource_type, portion, late, import_id, file, line
FROM order_events ORDER BY order_id, effective_date, import_seq, line`,
		},
		{
			name: "acceptance records stored",
			query: firstRow(acceptancesInsert{imp: imp, as: []catalog.Acceptance{{Vendor: "V1", Period: nov, Result: "passed", Score: &score,
				SecurityValidUntil: &until, Source: source}}}),
			wantSQL: `INSERT INTO acceptances (vendor_id, period, result, has_score, score, has_availability, availability,
has_security, security_valid_until, import_id, import_seq, file, line, imported_at)`,
			wantArgs: []any{"V1", uint32(202611), "passed", uint8(1), d("95.5"), uint8(0), decimal.Decimal{}, uint8(1), until.Time(),
				"imp-1", seq, "orders.csv", uint32(7), at},
		},
		{
			name:  "every acceptance record",
			query: acceptancesQuery{}.toSQL,
			wantSQL: `SELECT vendor_id, period, result, has_score, score, has_availability, availability, has_security, security_valid_until,
import_id, file, line FROM acceptances ORDER BY vendor_id, period, import_seq, line`,
		},
		{
			name:  "a month's acceptance records",
			query: acceptancesQuery{period: &nov}.toSQL,
			wantSQL: `SELECT vendor_id, period, result, has_score, score, has_availability, availability, has_security, security_valid_until,
import_id, file, line FROM acceptances WHERE period = ? ORDER BY vendor_id, period, import_seq, line`,
			wantArgs: []any{uint32(202611)},
		},
		// access.go
		{
			name: "a version of an account",
			query: userInsert{u: access.User{Login: "clerk", Role: access.RoleDepartment, Department: "D01", PasswordHash: "x", CreatedAt: at},
				version: 7}.toSQL,
			wantSQL:  "INSERT INTO users (login, role, department_id, vendor_id, password_hash, disabled, created_at, updated_at, version)",
			wantArgs: []any{"clerk", string(access.RoleDepartment), "D01", "", "x", uint8(0), at.UTC(), noTime, uint64(7)},
		},
		{
			name:  "an account",
			query: usersQuery{login: "clerk"}.toSQL,
			wantSQL: `SELECT login, argMax(role, version), argMax(department_id, version), argMax(vendor_id, version),
       argMax(password_hash, version), argMax(disabled, version), min(created_at), max(updated_at)
FROM users WHERE login = ? GROUP BY login ORDER BY login`,
			wantArgs: []any{"clerk"},
		},
		{
			name:     "a version of a token",
			query:    tokenInsert{t: access.Token{ID: "tok1", Kind: access.TokenCollector, Vendor: "V1", Hash: "abc", CreatedAt: at}, version: 7}.toSQL,
			wantSQL:  "INSERT INTO access_tokens (id, kind, login, vendor_id, hash, note, created_at, expires_at, revoked_at, version)",
			wantArgs: []any{"tok1", string(access.TokenCollector), "", "V1", "abc", "", at.UTC(), noTime, noTime, uint64(7)},
		},
		{
			name:  "every token",
			query: tokensQuery{}.toSQL,
			wantSQL: `SELECT id, argMax(kind, version), argMax(login, version), argMax(vendor_id, version), argMax(hash, version),
       argMax(note, version), min(created_at), argMax(expires_at, version), max(revoked_at)
FROM access_tokens GROUP BY id ORDER BY min(created_at), min(version)`,
		},
		{
			name:     "a version of a session",
			query:    sessionInsert{se: access.Session{Hash: "h1", Login: "clerk", CSRF: "c", CreatedAt: at, LastSeen: at, Remote: "127.0.0.1"}, version: 7}.toSQL,
			wantSQL:  "INSERT INTO sessions (hash, login, csrf, created_at, last_seen, ended_at, remote, version)",
			wantArgs: []any{"h1", "clerk", "c", at.UTC(), at.UTC(), noTime, "127.0.0.1", uint64(7)},
		},
		{
			name:  "the sessions of a login",
			query: sessionsQuery{login: "clerk"}.toSQL,
			wantSQL: `SELECT hash, argMax(login, version), argMax(csrf, version), min(created_at), max(last_seen), max(ended_at), argMax(remote, version)
FROM sessions WHERE login = ? GROUP BY hash`,
			wantArgs: []any{"clerk"},
		},
		{
			name:     "an audit event appended",
			query:    auditInsert{e: access.Event{At: at, Actor: "clerk", Role: access.RoleDepartment, Action: "download", Target: "summary.csv", Outcome: "ok"}, seq: 7}.toSQL,
			wantSQL:  "INSERT INTO audit_log (at, seq, actor, role, action, target, outcome, remote, detail)",
			wantArgs: []any{at.UTC(), uint64(7), "clerk", string(access.RoleDepartment), "download", "summary.csv", "ok", "", ""},
		},
		{
			name:     "the audit events of an actor counted",
			query:    auditCountQuery{f: access.AuditFilter{Actor: "clerk", Limit: 10}}.toSQL,
			wantSQL:  "SELECT count() FROM audit_log WHERE actor = ?",
			wantArgs: []any{"clerk"},
		},
		// collect.go
		{
			name: "collector mappings saved",
			query: firstRow(mappingsInsert{ms: []pull.MappingRecord{{Vendor: "V1", Metric: "cpu_util", Query: "avg_over_time(x[1h])", ResourceLabel: "instance",
				Window: time.Hour, Lateness: time.Minute, Start: at, File: "c.yaml", At: at}}, versions: []uint64{7}}),
			wantSQL:  "INSERT INTO collect_mappings (vendor_id, metric, query, resource_label, window_seconds, lateness_seconds, start, config_file, saved_at, version)",
			wantArgs: []any{"V1", "cpu_util", "avg_over_time(x[1h])", "instance", uint32(3600), uint32(60), at.UTC(), "c.yaml", at.UTC(), uint64(7)},
		},
		{
			name:  "the collector mappings in force",
			query: mappingsQuery{}.toSQL,
			wantSQL: `SELECT vendor_id, metric, argMax(query, version), argMax(resource_label, version), argMax(window_seconds, version),
       argMax(lateness_seconds, version), argMax(start, version), argMax(config_file, version), argMax(saved_at, version)
FROM collect_mappings GROUP BY vendor_id, metric ORDER BY vendor_id, metric`,
		},
		{
			name:  "the states of collected windows",
			query: windowStatesQuery{vendor: "V1", metric: "cpu_util", from: at, to: at.Add(time.Hour)}.toSQL,
			wantSQL: `SELECT toUInt32(window_start), argMax(status, version) FROM collect_windows
WHERE vendor_id = ? AND metric = ? AND window_start >= ? AND window_start < ?
GROUP BY window_start`,
			wantArgs: []any{"V1", "cpu_util", at.UTC(), at.Add(time.Hour).UTC()},
		},
		{
			name: "window records appended",
			query: firstRow(windowsInsert{ws: []pull.Window{{Vendor: "V1", Metric: "cpu_util", Start: at, End: at.Add(time.Hour), Status: pull.Partial,
				Series: 3, Samples: 2, Trigger: "test", At: at}}, versions: []uint64{7}}),
			wantSQL: "INSERT INTO collect_windows (vendor_id, metric, window_start, window_end, status, series, samples, error, trigger, reason, recorded_at, version)",
			wantArgs: []any{"V1", "cpu_util", at.UTC(), at.Add(time.Hour).UTC(), string(pull.Partial), uint32(3), uint32(2), "", "test", "", at.UTC(),
				uint64(7)},
		},
		{
			name:  "the records of collected windows",
			query: windowRecordsQuery{vendor: "V1", metric: "cpu_util", from: at, to: at.Add(time.Hour)}.toSQL,
			wantSQL: `SELECT vendor_id, metric, window_start, window_end, status, series, samples, error, trigger, reason, recorded_at
FROM collect_windows WHERE vendor_id = ? AND metric = ? AND window_start >= ? AND window_start < ?
ORDER BY window_start, version`,
			wantArgs: []any{"V1", "cpu_util", at.UTC(), at.Add(time.Hour).UTC()},
		},
		{
			name:     "a close with missing windows recorded",
			query:    incompleteCloseInsert{period: nov, at: at, by: "cli", missing: 2, detail: "V1 cpu_util"}.toSQL,
			wantSQL:  "INSERT INTO collect_incomplete_closes (period, closed_at, closed_by, missing, detail)",
			wantArgs: []any{uint32(202611), at.UTC(), "cli", uint32(2), "V1 cpu_util"},
		},
		{
			name:  "the vendors of each resource",
			query: resourceOwnersQuery{}.toSQL,
			wantSQL: `SELECT resource_id, groupUniqArray(vendor_id) FROM order_events
WHERE resource_id != '' AND vendor_id != '' GROUP BY resource_id`,
		},
		{
			name:     "a vendor imported",
			query:    vendorCountQuery("V1").toSQL,
			wantSQL:  "SELECT count() FROM vendors WHERE id = ?",
			wantArgs: []any{"V1"},
		},
		// archive.go
		{
			name:     "an archived issue's files stored",
			query:    firstRow(statementFilesInsert{period: nov, issueID: "2026-11-i1", files: []statements.ArchivedFile{{Path: "summary.csv", Content: []byte("a\n")}}}),
			wantSQL:  "INSERT INTO statement_files (period, issue_id, path, sha256, size, content)",
			wantArgs: []any{uint32(202611), "2026-11-i1", "summary.csv", sha([]byte("a\n")), uint64(2), "a\n"},
		},
		{
			name:     "a superseded provisional issue's files deleted",
			query:    issueFilesDelete{period: nov, issueID: "2026-11-i0"}.toSQL,
			wantSQL:  "ALTER TABLE statement_files DELETE WHERE period = ? AND issue_id = ?",
			wantArgs: []any{uint32(202611), "2026-11-i0"},
		},
		// funding.go
		{
			name:     "budget versions stored",
			query:    firstRow(budgetsInsert{imp: imp, bs: []funding.Budget{{Project: "P01", Year: 2026, Amount: d("100000"), Source: source}}}),
			wantSQL:  "INSERT INTO budget_versions (project_id, year, amount, import_id, import_seq, file, line, imported_at)",
			wantArgs: []any{"P01", uint16(2026), d("100000"), "imp-1", seq, "orders.csv", uint32(7), at},
		},
		{
			name: "budget warnings recorded",
			query: firstRow(budgetWarningsInsert{[]funding.Warning{{Project: "P01", Department: "D01", Year: 2026, Threshold: "warning", RunID: "r1",
				Period: "2026-11", Budget: d("100"), Spent: d("90"), Forecast: d("110"), At: at}}}),
			wantSQL: `INSERT INTO budget_warnings (project_id, year, threshold, department_id, parent_id, run_id, period, budget, spent,
forecast, share, fired_at)`,
			wantArgs: []any{"P01", uint16(2026), "warning", "D01", "", "r1", uint32(202611), d("100"), d("90"), d("110"), decimal.Decimal{}, at.UTC()},
		},
		{
			name: "a budget warning's delivery recorded",
			query: warningDeliveryInsert{funding.WarningDelivery{Key: funding.WarningKey{Project: "P01", Year: 2026, Threshold: "warning"}, Event: "warning",
				URL: "https://example.invalid/hook", Attempt: 2, At: at, StatusCode: 500, Outcome: "failed", Error: "500"}}.toSQL,
			wantSQL: `INSERT INTO budget_warning_deliveries (project_id, year, threshold, event, url, attempt, attempted_at, status_code,
outcome, error)`,
			wantArgs: []any{"P01", uint16(2026), "warning", "warning", "https://example.invalid/hook", uint32(2), at.UTC(), uint16(500), "failed", "500"},
		},
		{
			name: "budget threshold versions stored",
			query: firstRow(budgetThresholdsInsert{imp: imp, vs: []funding.ThresholdVersion{{Effective: calendar.MustDate("2026-01-01"),
				Thresholds: funding.Thresholds{Warning: d("0.8"), Over: d("1"), ForecastOver: d("1")}, Source: source}}}),
			wantSQL: `INSERT INTO budget_thresholds (effective, warning_share, over_share, forecast_over_share, import_id, import_seq, file, line,
imported_at)`,
			wantArgs: []any{calendar.MustDate("2026-01-01").Time(), d("0.8"), d("1"), d("1"), "imp-1", seq, "orders.csv", uint32(7), at},
		},
		// payments.go
		{
			name: "payment vouchers stored",
			query: firstRow(paymentsInsert{imp: imp, ps: []funding.Payment{{Voucher: "PV-1", Vendor: "V1", Period: nov, Amount: d("100.00"),
				PaidDate: calendar.MustDate("2026-12-05"), Source: source}}}),
			wantSQL: `INSERT INTO payments (voucher_no, vendor_id, period, amount, paid_date, refunds, import_id, import_seq, file, line,
imported_at)`,
			wantArgs: []any{"PV-1", "V1", uint32(202611), d("100.00"), calendar.MustDate("2026-12-05").Time(), "", "imp-1", seq, "orders.csv", uint32(7), at},
		},
		{
			name: "an estimate's lines stored",
			query: firstRow(estimateLinesInsert{info: funding.EstimateInfo{ID: "2026-12-estimate-x", Period: calendar.MustPeriod("2026-12")},
				lines: []funding.EstimateLine{{Kind: "allocated", Department: "D01", Vendor: "V1", Project: "P01", Category: "om", Order: "X4", Item: "C01",
					Zone: catalog.ZoneInternet, ToDate: d("1.5"), Rest: d("2.5"), Amount: d("4.00"), Note: "n"}}}),
			wantSQL: `INSERT INTO estimate_lines (period, estimate_id, seq, kind, department_id, vendor_id, project_id, category, order_id,
item_code, zone, to_date, rest, amount, note)`,
			wantArgs: []any{uint32(202612), "2026-12-estimate-x", uint32(0), "allocated", "D01", "V1", "P01", "om", "X4", "C01", "internet",
				d("1.5").Round(18), d("2.5").Round(18), d("4.00"), "n"},
		},
		{
			name: "an estimate recorded",
			query: estimateInsert{info: funding.EstimateInfo{ID: "2026-12-estimate-x", Period: calendar.MustPeriod("2026-12"), AsOf: calendar.MustDate("2026-12-06"),
				IssuedAt: at, IssuedBy: "finance", Hash: "h", Lines: 1, Total: d("4.00")}, rates: "{}"}.toSQL,
			wantSQL: "INSERT INTO estimates (period, estimate_id, as_of, issued_at, issued_by, content_hash, lines, total, rates)",
			wantArgs: []any{uint32(202612), "2026-12-estimate-x", calendar.MustDate("2026-12-06").Time(), at.UTC(), "finance", "h", uint64(1), d("4.00"),
				"{}"},
		},
		{
			name:     "an estimate withdrawn",
			query:    estimateWithdrawalInsert{info: funding.EstimateInfo{ID: "2026-12-estimate-x", Period: calendar.MustPeriod("2026-12")}, at: at, by: "finance", reason: "r"}.toSQL,
			wantSQL:  "INSERT INTO estimate_withdrawals (period, estimate_id, withdrawn_at, withdrawn_by, reason)",
			wantArgs: []any{uint32(202612), "2026-12-estimate-x", at.UTC(), "finance", "r"},
		},
		// chstore.go, cluster.go, backup.go: migrations, the cluster, restore
		{name: "a database created", query: createDatabase{db: "`cloudbill`"}.toSQL, wantSQL: "CREATE DATABASE IF NOT EXISTS `cloudbill`"},
		{
			name:    "a database created on every node",
			query:   createDatabase{db: "cloudbill", cluster: "city"}.toSQL,
			wantSQL: "CREATE DATABASE IF NOT EXISTS cloudbill ON CLUSTER city",
		},
		{name: "the applied migrations", query: appliedMigrationsQuery{}.toSQL, wantSQL: "SELECT version FROM schema_migrations"},
		{
			name:    "the applied migrations of a cluster's database",
			query:   appliedMigrationsQuery{db: "cloudbill"}.toSQL,
			wantSQL: "SELECT version FROM cloudbill.schema_migrations",
		},
		{
			name:     "a migration recorded",
			query:    migrationInsert{m: migration{version: 104, name: "0104_budget_thresholds.sql"}, at: at}.toSQL,
			wantSQL:  "INSERT INTO schema_migrations (version, name, applied_at)",
			wantArgs: []any{uint32(104), "0104_budget_thresholds.sql", at.UTC()},
		},
		{
			name:     "the migrations table of a database",
			query:    migrationsTableQuery("cloudbill").toSQL,
			wantSQL:  "SELECT count() FROM system.tables WHERE database = ? AND name = 'schema_migrations'",
			wantArgs: []any{"cloudbill"},
		},
		{name: "the applied migrations, in order", query: migrationVersionsQuery{}.toSQL, wantSQL: "SELECT DISTINCT version FROM schema_migrations ORDER BY version"},
		{
			name:     "a database on the node answering",
			query:    databaseCountQuery("cloudbill").toSQL,
			wantSQL:  "SELECT count() FROM system.databases WHERE name = ?",
			wantArgs: []any{"cloudbill"},
		},
		{
			name:     "the replicas of a cluster",
			query:    clusterQuery{name: "city"}.toSQL,
			wantSQL:  "SELECT shard_num, host_address, port FROM system.clusters\nWHERE cluster = ? ORDER BY shard_num, replica_num",
			wantArgs: []any{"city"},
		},
		{
			name:    "a replica caught up",
			query:   syncReplicaStatement{db: "cloudbill", table: "usage_samples_local"}.toSQL,
			wantSQL: "SYSTEM SYNC REPLICA cloudbill.usage_samples_local",
		},
		{
			name:    "a migration's statement, as its file writes it",
			query:   migrationDDL(schemaMigrationsTable).toSQL,
			wantSQL: "CREATE TABLE IF NOT EXISTS schema_migrations (\n    version UInt32, name String, applied_at DateTime\n) ENGINE = MergeTree ORDER BY version",
		},
		{
			name: "a restored table's blocks",
			query: func() (string, []any) {
				return nativeInsert{table: "`users`", columns: []ident{"`login`", "`version`"}}.toSQL(), nil
			},
			wantSQL: "INSERT INTO `users` (`login`, `version`)",
		},
		// idle.go
		{
			name: "the idle measure, rows as stored, joined by hash, quantities as Int64 micro-units",
			query: idleMeasureQuery{from: calendar.MustDate("2026-11-01"), to: calendar.MustDate("2026-11-30"), fast: true, intQty: true,
				table: "usage_samples"}.toSQL,
			wantSQL: `SELECT oid, toUInt32(uniqExactIf(day, ok)), countIf(ok), countIf(NOT ok), quantileExactIf(0.95)(toInt64(round(if(ok, v, 0) * 1000000)) * q, ok),
       toUInt8(count() > uniqExact(ts))
FROM (
    SELECT oid, ts, day, value AS v, qty AS q,
               isFinite(v) AND v >= 0 AND v <= 100 AS ok
        FROM (
            SELECT oid, ts, day, value, version, qty
            FROM (
                SELECT cityHash64(resource_id, metric) AS h, ts, toDate(ts, 'Asia/Shanghai') AS day, value, version,
                       if(source IN (SELECT id FROM vendors), source, '') AS owner
                FROM usage_samples
                WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
                  AND metric IN ('cpu_util', 'mem_util')
                  AND resource_id IN (SELECT resource_id FROM idle_spans)
            ) AS s ALL INNER JOIN (
                SELECT cityHash64(resource_id, metric) AS h, oid, from_date, to_date, qm AS qty, vendor FROM idle_spans
            ) AS sp USING (h)
            WHERE day >= from_date AND day <= to_date AND (owner = '' OR owner = vendor)
        )
)
GROUP BY oid`,
			wantArgs: []any{novStart, decStart},
		},
		{
			name: "the idle measure of a shard, each identity at its latest value, joined by name",
			query: idleMeasureQuery{from: calendar.MustDate("2026-11-01"), to: calendar.MustDate("2026-11-30"), byName: true,
				table: "usage_samples_local"}.toSQL,
			wantSQL: `SELECT oid, toUInt32(uniqExactIf(day, ok)), countIf(ok), countIf(NOT ok), quantileExactIf(0.95)(toDecimal128(round(if(ok, v, 0) * 1000000), 0) * q, ok),
       toUInt8(count() > uniqExact(ts))
FROM (
    SELECT oid, ts, day, argMax(value, version) AS v, any(qty) AS q,
               isFinite(v) AND v >= 0 AND v <= 100 AS ok
        FROM (
            SELECT oid, ts, day, value, version, qty
            FROM (
                SELECT resource_id, metric, ts, toDate(ts, 'Asia/Shanghai') AS day, value, version,
                       if(source IN (SELECT id FROM vendors), source, '') AS owner
                FROM usage_samples_local
                WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
                  AND metric IN ('cpu_util', 'mem_util')
                  AND resource_id IN (SELECT resource_id FROM idle_spans)
            ) AS s ALL INNER JOIN (
                SELECT resource_id, metric, oid, from_date, to_date, qty, vendor FROM idle_spans
            ) AS sp USING (resource_id, metric)
            WHERE day >= from_date AND day <= to_date AND (owner = '' OR owner = vendor)
        )
        GROUP BY oid, ts, day
)
GROUP BY oid`,
			wantArgs: []any{novStart, decStart},
		},
		{
			name: "redundancy ratio versions stored",
			query: firstRow(idleRatiosInsert{imp: imp, vs: []idle.Version{{Kind: idle.KindVCPU, Effective: calendar.MustDate("2026-01-01"), Ratio: d("0.2"),
				Sizes: idle.Sizes{d("2"), d("4")}, Note: "n", File: "ratios.csv", Line: 3}}}),
			wantSQL: `INSERT INTO idle_ratio_versions (kind, effective, has_until, until, ratio, sizes, note, import_id, import_seq,
file, line, imported_at)`,
			wantArgs: []any{string(idle.KindVCPU), calendar.MustDate("2026-01-01").Time(), uint8(0), time.Unix(0, 0).UTC(), d("0.2"), []string{"2", "4"}, "n",
				"imp-1", seq, "ratios.csv", uint32(3), at},
		},
		{
			name: "idle cases opened",
			query: firstRow(casesInsert{cs: []idle.Case{{ID: "20261130-D01-vcpu", Department: "D01", Kind: idle.KindVCPU, Reminder: calendar.MustDate("2026-11-30"),
				Deadline: calendar.MustDate("2026-12-30"), Ratio: d("0.2"), IdleRatio: d("0.5"), Allocated: d("16"), Target: d("10"), Saving: d("240"),
				Orders: []idle.CaseOrder{{Order: "X4", Resource: "vm-4", Item: "C01", Zone: "extranet", Allocated: d("16"), Recommended: d("10"), Saving: d("240")}}}},
				at: at}),
			wantSQL: `INSERT INTO idle_cases (case_id, department_id, parent_id, kind, reminder_date, deadline, ratio, idle_ratio,
allocated, target, saving, orders, created_at)`,
			wantArgs: []any{"20261130-D01-vcpu", "D01", "", string(idle.KindVCPU), calendar.MustDate("2026-11-30").Time(), calendar.MustDate("2026-12-30").Time(),
				d("0.2"), d("0.5").Round(12), d("16"), d("10"), d("240"),
				`[{"order_id":"X4","resource_id":"vm-4","item_code":"C01","zone":"extranet","allocated":"16","recommended":"10","saving":"240"}]`, at.UTC()},
		},
		{
			name:     "idle case states recorded",
			query:    firstRow(caseStatesInsert{cs: []idle.Case{{ID: "20261130-D01-vcpu", State: idle.StateOverdue, StateOn: calendar.MustDate("2026-12-31")}}, at: at}),
			wantSQL:  "INSERT INTO idle_case_states (case_id, seq, state, on_date, recorded_at, detail)",
			wantArgs: []any{"20261130-D01-vcpu", uint32(1), string(idle.StateOverdue), calendar.MustDate("2026-12-31").Time(), at.UTC(), ""},
		},
		{
			name: "idle evidence recorded",
			query: firstRow(evidenceInsert{rs: []evidenceRow{{e: idle.Evidence{Case: "20261130-D01-vcpu", Analysis: calendar.MustDate("2026-11-30"),
				Group: idle.Group{Department: "D01", Kind: idle.KindVCPU, Ratio: d("0.2"), Allocated: d("16"), Used: d("1.2"), IdleRatio: d("0.5")}},
				r: idle.Row{Resource: idle.Resource{Order: "X4", Resource: "vm-4", Item: "C01", Zone: "extranet", Allocated: d("16")},
					Measure: idle.Measure{Days: 30, Samples: 720}, Expected: 720, P95Util: d("7.5"), Used: d("1.2"), Status: "counted",
					Recommended: d("10"), Saving: d("240")}}}, at: at}),
			wantSQL: `INSERT INTO idle_evidence (case_id, analysis_date, department_id, kind, ratio, group_idle, group_allocated, group_used,
order_id, resource_id, item_code, zone, allocated, p95_util, used, days, samples, expected, excluded, status, recommended, saving, recorded_at)`,
			wantArgs: []any{"20261130-D01-vcpu", calendar.MustDate("2026-11-30").Time(), "D01", string(idle.KindVCPU), d("0.2"), d("0.5").Round(12), d("16"),
				d("1.2").Round(8), "X4", "vm-4", "C01", "extranet", d("16"), d("7.5").Round(6), d("1.2").Round(8), uint32(30), uint64(720), uint64(720),
				uint64(0), "counted", d("10"), d("240"), at.UTC()},
		},
		{
			name:  "every idle case with its state",
			query: casesQuery{}.toSQL,
			wantSQL: `SELECT c.case_id, department_id, parent_id, kind, reminder_date, deadline, ratio, idle_ratio, allocated, target, saving,
orders, st.state, st.on_date
FROM (SELECT * FROM idle_cases ORDER BY case_id, created_at LIMIT 1 BY case_id) AS c
ALL INNER JOIN (
    SELECT case_id, argMax(state, seq) AS state, argMax(on_date, seq) AS on_date FROM idle_case_states GROUP BY case_id
) AS st USING (case_id)
ORDER BY case_id`,
		},
		{
			name:  "idle case events not yet delivered",
			query: pendingDeliveriesQuery{}.toSQL,
			wantSQL: `SELECT st.case_id, st.seq, st.state, st.on_date, toUInt32(ifNull(d.attempts, 0))
FROM idle_case_states AS st
ALL LEFT JOIN (
    SELECT case_id, seq, count() AS attempts, countIf(outcome IN ('delivered', 'rejected', 'gave_up')) AS final
    FROM idle_webhook_deliveries GROUP BY case_id, seq
) AS d USING (case_id, seq)
WHERE ifNull(d.final, 0) = 0
ORDER BY st.recorded_at, st.case_id, st.seq`,
		},
		{
			name: "an idle case event's delivery recorded",
			query: deliveryInsert{idle.Delivery{Case: "20261130-D01-vcpu", Seq: 1, Event: "open", URL: "https://example.invalid/hook", Attempt: 2, At: at,
				StatusCode: 500, Outcome: "failed", Error: "500"}}.toSQL,
			wantSQL:  "INSERT INTO idle_webhook_deliveries (case_id, seq, event, url, attempt, attempted_at, status_code, outcome, error)",
			wantArgs: []any{"20261130-D01-vcpu", uint32(1), "open", "https://example.invalid/hook", uint32(2), at.UTC(), uint16(500), "failed", "500"},
		},
		{
			name:     "a case's deliveries",
			query:    deliveriesQuery{id: "20261130-D01-vcpu"}.toSQL,
			wantSQL:  "SELECT case_id, seq, event, url, attempt, attempted_at, status_code, outcome, error FROM idle_webhook_deliveries WHERE case_id = ? ORDER BY case_id, seq, attempt",
			wantArgs: []any{"20261130-D01-vcpu"},
		},
		{
			name:  "the bare p95 of utilisation",
			query: utilisationP95Query{from: nov.Start(), to: nov.End()}.toSQL,
			wantSQL: `SELECT resource_id, metric, quantileExact(0.95)(value) FROM usage_samples
WHERE ts >= toDateTime(?) AND ts < toDateTime(?) AND metric IN ('cpu_util', 'mem_util')
GROUP BY resource_id, metric`,
			wantArgs: []any{nov.Start().Unix(), nov.End().Unix()},
		},
		{
			name:    "distinct hashes of the spans",
			query:   hashesDistinctQuery{table: "idle_spans"}.toSQL,
			wantSQL: "SELECT uniqExact(resource_id, metric) = uniqExact(cityHash64(resource_id, metric)) FROM idle_spans",
		},
		// rating.go
		{
			name:     "the runs of a month counted",
			query:    runNumberQuery{period: nov}.toSQL,
			wantSQL:  "SELECT toUInt32(count()) FROM rating_runs WHERE period = ?",
			wantArgs: []any{uint32(202611)},
		},
		{
			name: "a run's lines stored",
			query: firstRow(ratedLinesInsert{run: rating.Run{ID: "r1", Period: nov}, lines: []rating.Line{{Period: nov, Kind: rating.KindCharge, Department: "D01",
				Vendor: "V1", Project: "P01", Category: "om", Order: "X4", Item: "C01", Zone: catalog.ZoneInternet, Mode: "monthly",
				From: calendar.MustDate("2026-11-01"), To: calendar.MustDate("2026-11-30"), Days: 30, DaysInMonth: 30, Quantity: d("2"), UnitPrice: d("30"),
				Unrounded: d("60"), Amount: d("60.00"), CatalogVersion: calendar.MustDate("2026-01-01")}}}),
			wantSQL: `INSERT INTO rated_lines (period, run_id, seq, kind, department_id, vendor_id, project_id, category, order_id,
item_code, zone, mode, from_date, to_date, days, days_in_month, quantity, unit_price, unrounded, amount, daily_amount,
catalog_version, corrects, corrects_kind, note)`,
			wantArgs: []any{uint32(202611), "r1", uint32(0), string(rating.KindCharge), "D01", "V1", "P01", "om", "X4", "C01", "internet", "monthly",
				calendar.MustDate("2026-11-01").Time(), calendar.MustDate("2026-11-30").Time(), int32(30), uint8(30), d("2"), d("30"), d("60"), d("60.00"),
				rating.Line{Unrounded: d("60"), Days: 30}.DailyAmount(), calendar.MustDate("2026-01-01").Time(), uint32(0), "", ""},
		},
		{
			name:  "a run's daily detail",
			query: ratedDaysInsert{run: rating.Run{ID: "r1", Period: nov}}.toSQL,
			wantSQL: `INSERT INTO rated_days (period, run_id, date, department_id, vendor_id, project_id, order_id, item_code,
kind, quantity, unit_price, amount, line_seq)
SELECT period, run_id, from_date + i, department_id, vendor_id, project_id, order_id, item_code, kind, quantity, unit_price,
       if(i + 1 = days, unrounded - daily_amount * (days - 1), daily_amount), seq
FROM rated_lines ARRAY JOIN range(toUInt32(days)) AS i
WHERE period = ? AND run_id = ? AND kind IN ('charge', 'metered', 'unfunded') AND days > 0`,
			wantArgs: []any{uint32(202611), "r1"},
		},
		{
			name: "a run's vendor deductions stored",
			query: firstRow(vendorDeductionsInsert{run: rating.Run{ID: "r1", Period: nov}, ded: []rating.VendorDeduction{{Vendor: "V1",
				EffectiveResult: "passed", SecurityValid: true}}}),
			wantSQL: `INSERT INTO vendor_deductions (period, run_id, vendor_id, pending, effective_result, security_valid, rate, gross,
deduction, net, rules_version, detail)`,
			wantArgs: func() []any {
				v := rating.VendorDeduction{Vendor: "V1", EffectiveResult: "passed", SecurityValid: true}
				detail, _ := json.Marshal(v)
				return []any{uint32(202611), "r1", "V1", uint8(0), "passed", uint8(1), decimal.Decimal{}.Round(6), decimal.Decimal{}, decimal.Decimal{},
					decimal.Decimal{}, "", string(detail)}
			}(),
		},
		{
			name: "a run committed",
			query: ratingRunInsert{run: rating.Run{ID: "r1", Period: nov, RatedAt: at, Fingerprint: "f", Lines: 3, Total: d("90.00"),
				Pending: []catalog.VendorID{"V2"}}, runNo: 2, gross: d("100.00"), deductions: d("-10.00")}.toSQL,
			wantSQL: `INSERT INTO rating_runs (run_id, period, run_no, rated_at, fingerprint, lines, total, gross, deductions,
adjustments, pending, exceptions)`,
			wantArgs: []any{"r1", uint32(202611), uint32(2), at.UTC(), "f", uint64(3), d("90.00"), d("100.00"), d("-10.00"), decimal.Decimal{},
				[]string{"V2"}, []string{}},
		},
		{
			name:     "a month's superseded runs deleted",
			query:    supersededRunsDelete{table: "rated_days", period: nov, keep: [2]string{"r2", "r1"}}.toSQL,
			wantSQL:  "ALTER TABLE rated_days DELETE WHERE period = ? AND run_id != ? AND run_id != ?",
			wantArgs: []any{uint32(202611), "r2", "r1"},
		},
		{name: "a table that holds no run is not named", query: supersededRunsDelete{table: "users", period: nov}.toSQL, wantSQL: ""},
		{
			name:  "a month's latest run",
			query: runsQuery{period: nov, limit: 1}.toSQL,
			wantSQL: `SELECT run_id, rated_at, fingerprint, lines, total, pending, exceptions FROM rating_runs
WHERE period = ? ORDER BY run_no DESC, run_id LIMIT ?`,
			wantArgs: []any{uint32(202611), 1},
		},
		{
			name:  "a run's lines",
			query: ratedLinesQuery{period: nov, run: "r1"}.toSQL,
			wantSQL: `SELECT kind, department_id, vendor_id, project_id, category, order_id, item_code, zone, mode, from_date, to_date,
days, days_in_month, quantity, unit_price, unrounded, amount, catalog_version, corrects, corrects_kind, note
FROM rated_lines WHERE period = ? AND run_id = ? ORDER BY seq`,
			wantArgs: []any{uint32(202611), "r1"},
		},
		{
			name:  "a department's daily detail",
			query: dailyAmountsQuery{period: nov, run: "r1", dep: "D01"}.toSQL,
			wantSQL: `SELECT date, vendor_id, project_id, order_id, item_code, kind, quantity, unit_price, amount
FROM rated_days WHERE period = ? AND run_id = ? AND department_id = ? ORDER BY date, order_id, line_seq`,
			wantArgs: []any{uint32(202611), "r1", "D01"},
		},
		{
			name:     "a run's vendor deductions",
			query:    vendorDeductionsQuery{period: nov, run: "r1"}.toSQL,
			wantSQL:  "SELECT detail FROM vendor_deductions WHERE period = ? AND run_id = ? ORDER BY vendor_id",
			wantArgs: []any{uint32(202611), "r1"},
		},
		{
			name:  "the month's rows of some resources",
			query: monthResourceRowsQuery{period: nov}.toSQL,
			wantSQL: `SELECT resource_id, count()
FROM usage_samples
WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
  AND resource_id IN (SELECT resource_id FROM usage_resources)
GROUP BY resource_id`,
			wantArgs: []any{nov.Start().Unix(), nov.End().Unix()},
		},
		// samples.go
		{
			name:    "a batch of samples",
			query:   func() (string, []any) { return samplesInsert{}.toSQL(), nil },
			wantSQL: "INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)",
		},
		{
			name:  "the stored ranges of a batch's series",
			query: storedRangesQuery{window: metering.TSRange{First: novStart, Last: decStart - 1}}.toSQL,
			wantSQL: `SELECT resource_id, metric, toUInt32(min(ts)), toUInt32(max(ts))
FROM usage_samples
PREWHERE ts >= toDateTime(?) AND ts <= toDateTime(?)
WHERE resource_id IN (SELECT resource_id FROM batch_series)
  AND (resource_id, metric) IN (SELECT resource_id, metric FROM batch_series)
GROUP BY resource_id, metric`,
			wantArgs: []any{novStart, decStart - 1},
		},
		{
			name:  "the stored values of a batch's identities",
			query: storedDuplicatesQuery{first: novStart, last: decStart - 1}.toSQL,
			wantSQL: `SELECT sid, t, argMax(value, version)
FROM (
    SELECT resource_id, metric, toUInt32(ts) AS t, value, version
    FROM usage_samples
    PREWHERE ts >= toDateTime(?) AND ts <= toDateTime(?)
    WHERE resource_id IN (SELECT resource_id FROM batch_series)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM batch_series)
) AS s ALL INNER JOIN (
    SELECT resource_id, metric, sid, first, last FROM batch_series
) AS b USING (resource_id, metric)
WHERE t >= first AND t <= last
GROUP BY sid, t`,
			wantArgs: []any{novStart, decStart - 1},
		},
		// admin.go
		{name: "a database dropped", query: dropDatabase{db: "`cloudbill_demo`"}.toSQL, wantSQL: "DROP DATABASE IF EXISTS `cloudbill_demo`"},
		{name: "a database dropped on every node", query: dropDatabase{db: "`t1`", cluster: "city"}.toSQL, wantSQL: "DROP DATABASE IF EXISTS `t1` ON CLUSTER city"},
		{name: "a table's rows", query: tableRowsQuery("`usage_samples`").toSQL, wantSQL: "SELECT count() FROM `usage_samples`"},
		{
			name:     "a table's active parts",
			query:    activePartsQuery("cloudbill", "usage_samples").toSQL,
			wantSQL:  "SELECT count() FROM system.parts WHERE database = ? AND table = ? AND active",
			wantArgs: []any{"cloudbill", "usage_samples"},
		},
		{name: "the running merges", query: runningMergesQuery().toSQL, wantSQL: "SELECT count() FROM system.merges"},
		{
			name:     "the merges of the samples",
			query:    sampleMergesQuery("cloudbill").toSQL,
			wantSQL:  "SELECT count() FROM system.merges WHERE database = ? AND table IN ('usage_samples', 'usage_samples_local')",
			wantArgs: []any{"cloudbill"},
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

// An identifier that cannot be bound is written only once checked.
func TestIdentChecked(t *testing.T) {
	for _, bad := range []string{"", "1x", "a b", "x`; DROP TABLE y", "t.u"} {
		_, err := newIdent(bad)
		assert.Error(t, err, bad)
	}
	id, err := newIdent("usage_samples")
	assert.NoError(t, err)
	assert.Equal(t, ident("`usage_samples`"), id)
}

// A backup's query names its table and columns only once they are checked.
func TestDumpQueryNamesChecked(t *testing.T) {
	users := backup.Table{Name: "users", Engine: "ReplacingMergeTree"}
	for _, d := range []backup.Dump{
		{Table: backup.Table{Name: "users; DROP TABLE x"}},
		{Table: users, Columns: []string{"login", "a`b"}},
		{Table: users, TimeColumn: "ts OR 1"},
	} {
		_, err := newDumpQuery(d)
		assert.Error(t, err, "%+v", d)
	}
}
