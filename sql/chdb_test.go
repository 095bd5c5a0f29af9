//go:build chdb

package chstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	chstore "cloudbill/sql"
	"cloudbill/sql/chdbtest"
	"cloudbill/sql/chtest"
	"cloudbill/statements"
)

// notCompared: queries whose rows depend on the server, not on the data (they still run
// on chDB, and must not fail there): now(), system tables, and the close claims' times,
// which each server stamped with its own now() at the insert (they differed by a second
// once, when the two inserts fell either side of a second's boundary).
var notCompared = regexp.MustCompile(`(?i)now\(\)|system\.|claimed_at|expires_at`)

// TestCurrentClickHouse runs cloudbill's store on ClickHouse 18.16 (the test server) with
// every statement mirrored to chDB (current ClickHouse, in process): a small district is
// imported, rated, closed, archived and read back through the Store's methods; every
// query's rows must be the same on both servers, every statement must succeed on both,
// and the inserts carry the settings of each server's version. See docs/clickhouse.md.
func TestCurrentClickHouse(t *testing.T) {
	_, err := chdbtest.Session()
	require.NoError(t, err)
	t.Cleanup(chdbtest.Close)
	version, err := chdbtest.Version()
	require.NoError(t, err)
	t.Logf("chDB: ClickHouse %s", version)

	s := chtest.New(t)
	stmts, err := chstore.SchemaStatements()
	require.NoError(t, err)
	require.NoError(t, chdbtest.Setup(s.Database(), stmts), "the migrations on chDB")
	// and their record, as on the test server
	rows, err := chtest.Conn(t, s).Query(context.Background(), "SELECT version, name, toUnixTimestamp(applied_at) FROM schema_migrations")
	require.NoError(t, err)
	for rows.Next() {
		var v, at uint32
		var name string
		require.NoError(t, rows.Scan(&v, &name, &at))
		_, err := chdbtest.Query(fmt.Sprintf("INSERT INTO %s.schema_migrations VALUES (%d, '%s', %d)", s.Database(), v, strings.ReplaceAll(name, "'", ""), at), "TSV")
		require.NoError(t, err)
	}
	require.NoError(t, rows.Close())
	chv, err := chstore.ParseServerVersion(version)
	require.NoError(t, err)
	var m *chdbtest.Mirror
	chstore.Tap(s, func(c driver.Conn) driver.Conn {
		m = chdbtest.NewMirror(c, s.Database(), chstore.InsertSettings(chv))
		return m
	})
	m.NotCompared = notCompared.MatchString

	district(t, s)

	for _, d := range m.Differences() {
		t.Error(d)
	}
	if f := os.Getenv("CLOUDBILL_CHDB_QUERIES"); f != "" {
		require.NoError(t, os.WriteFile(f, []byte(strings.Join(m.Queries(), "\n")+"\n"), 0o644))
	}
	ran := m.Ran()
	t.Logf("statements on both servers: %v; distinct queries compared: %d", ran, len(m.Queries()))
	assert.Greater(t, ran["insert"], 10)
	assert.Greater(t, len(m.Queries()), 30)

	t.Run("every setting sent to 18.16 is one it knows", func(t *testing.T) {
		known := settingsOf(t, s)
		require.NotEmpty(t, known)
		sent := m.SentSettings()
		for name := range chstore.InsertSettings(s.ServerVersion()) {
			assert.Contains(t, sent, name, "the inserts carry the settings of the server's version")
		}
		for name, stmt := range sent {
			assert.True(t, known[name], "setting %s (sent with %s) is unknown to the test server", name, stmt)
		}
	})
	t.Run("the settings for chDB's version exist there and take their values", func(t *testing.T) {
		set := chstore.InsertSettings(chv)
		assert.Equal(t, 0, set["async_insert"], "inserts on a current server are synchronous")
		assert.Equal(t, 1, set["insert_deduplicate"])
		for k, v := range set {
			out, err := chdbtest.Query("SELECT value FROM system.settings WHERE name = '"+k+"' SETTINGS "+k+" = '"+strings.TrimSpace(strings.ReplaceAll(toString(v), "'", ""))+"'", "TSVRaw")
			require.NoError(t, err, k)
			assert.NotEmpty(t, strings.TrimSpace(string(out)), "%s is not a setting of chDB %s", k, version)
		}
	})
}

func toString(v any) string {
	switch x := v.(type) {
	case int:
		return decimal.NewFromInt(int64(x)).String()
	case string:
		return x
	}
	return ""
}

// settingsOf is the names in the test server's system.settings (a connection of its own:
// the mirror would run the query on chDB as well).
func settingsOf(t *testing.T, s *chstore.Store) map[string]bool {
	rows, err := chtest.Conn(t, s).Query(context.Background(), "SELECT name FROM system.settings")
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		out[n] = true
	}
	return out
}

// district exercises the store's methods on a small district: the real import paths,
// samples, rating, a close, the archive, jobs, claims, accounts and audit, read back.
func district(t *testing.T, s *chstore.Store) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	p := calendar.MustPeriod("2026-11")

	// the catalog fixtures, through the real import paths, then the small district
	importFixtures(t, s, newClock())
	_, err := catalog.ImportEvents(ctx, s, file("orders.csv",
		`order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type,portion
X4,open,2026-10-01,D01,P01,V2,internet,N04,1,vm-4,,
`), now)
	require.NoError(t, err)

	var b metering.Batch
	for i, x := range []struct {
		res, metric string
		ts          string
		v           float64
	}{
		{"vm-4", "net_out_gb", "2026-11-03T10:00:00+08:00", 100},
		{"vm-4", "net_out_gb", "2026-11-20T10:00:00+08:00", 25.5},
		{"vm-4", "net_out_gb", "2026-12-03T10:00:00+08:00", 10},
		{"vm-4", "cpu_util", "2026-11-03T10:00:00+08:00", 12.5},
		{"vm-4", "cpu_util", "2026-11-03T11:00:00+08:00", 1e13},
	} {
		ts, err := time.Parse(time.RFC3339, x.ts)
		require.NoError(t, err)
		b.Append(metering.Sample{ResourceID: x.res, Metric: x.metric, TS: ts, Value: x.v, Source: "test"})
		b.Version[i] = 1
	}
	require.NoError(t, s.InsertSamples(ctx, &b))
	require.NoError(t, s.InsertSamples(ctx, &b), "the same batch again: deduplicated or collapsed, not doubled")

	// samples read back
	f := chstore.SampleFilter{From: p.Start(), To: p.End(), Metric: "net_out_gb"}
	_, err = s.SampleStats(ctx, f)
	require.NoError(t, err)
	_, err = s.LatestSamples(ctx, f)
	require.NoError(t, err)
	series := []metering.Series{{ResourceID: "vm-4", Metric: "net_out_gb"}, {ResourceID: "vm-9", Metric: "cpu_util"}}
	_, err = s.StoredRanges(ctx, series, metering.TSRange{First: p.Start().Unix(), Last: p.End().Unix() - 1})
	require.NoError(t, err)
	dup := make([]bool, b.Len())
	require.NoError(t, s.StoredDuplicates(ctx, &b, []int{0, 1, 2, 3, 4}, dup))

	// rating, twice (the second finds nothing changed), and what the portal reads
	r, err := rating.New(rating.Config{Master: s, Usage: s, Results: s, Now: func() time.Time { return now }})
	require.NoError(t, err)
	out, err := r.Rate(ctx, p)
	require.NoError(t, err)
	require.NotEmpty(t, out.Lines)
	_, err = r.Rate(ctx, p)
	require.NoError(t, err)
	_, err = s.RatedLines(ctx, p)
	require.NoError(t, err)
	_, err = s.Runs(ctx, p)
	require.NoError(t, err)
	for _, dep := range []catalog.DepartmentID{"D01", "D03"} {
		_, err = s.DailyAmounts(ctx, p, dep)
		require.NoError(t, err)
	}
	_, err = s.DailyAmountsOf(ctx, p, out.Run.ID, []catalog.DepartmentID{"D01"})
	require.NoError(t, err)
	_, err = s.VendorDeductions(ctx, p)
	require.NoError(t, err)
	_, err = s.RatedMonths(ctx)
	require.NoError(t, err)
	_, err = s.RunTotals(ctx, p, out.Run.ID)
	require.NoError(t, err)
	_, err = s.RatedPeriods(ctx)
	require.NoError(t, err)
	_, err = s.UsageOutOfRange(ctx, p, []rating.UsageWindow{{Resource: "vm-4", Metric: "cpu_util", Agg: catalog.AggSum, From: calendar.MustDate("2026-11-01"), To: calendar.MustDate("2026-11-30")}})
	require.NoError(t, err)

	// a close and the archive of its statements
	release, err := s.ClaimClose(ctx, p, "test", 0)
	require.NoError(t, err)
	_, err = s.CloseClaims(ctx, p)
	require.NoError(t, err)
	require.NoError(t, s.InsertClose(ctx, rating.Close{Period: p, ClosedAt: now, RunID: out.Run.ID, ContentHash: "h", AllowPending: true,
		Pending: []catalog.VendorID{"V2"}, Lines: len(out.Lines), Total: out.Run.Total, ClosedBy: "test"}))
	release()
	_, err = s.Closes(ctx)
	require.NoError(t, err)
	_, _, err = s.CloseOf(ctx, p)
	require.NoError(t, err)
	_, err = s.ClosedPeriods(ctx)
	require.NoError(t, err)
	_, err = s.Archive(ctx, statements.ArchiveIssue{Period: p, Final: true, IssuedAt: now, Net: out.Run.Total,
		Files: []statements.ArchivedFile{{Path: "summary.csv", Content: []byte("a,b\n1,2\n")}, {Path: "departments/D1.pdf", Content: []byte("%PDF-\x00\xff binary")}}})
	require.NoError(t, err)
	_, err = s.Issues(ctx, p)
	require.NoError(t, err)
	_, _, err = s.CurrentIssue(ctx, p)
	require.NoError(t, err)
	_, err = s.CurrentIssues(ctx)
	require.NoError(t, err)
	_, _, _, err = s.ArchivedFileOf(ctx, p, "departments/D1.pdf")
	require.NoError(t, err)

	// jobs, accounts, audit
	require.NoError(t, s.InsertJobRun(ctx, jobrun.Run{Job: "close", Period: p, Trigger: "schedule", StartedAt: now, FinishedAt: now.Add(time.Second), Status: jobrun.OK, Detail: "closed"}))
	_, err = s.JobRuns(ctx, "")
	require.NoError(t, err)
	_, err = s.JobRuns(ctx, "close")
	require.NoError(t, err)
	require.NoError(t, s.PutUser(ctx, access.User{Login: "clerk", Role: access.RoleDepartment, Department: "D01", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}))
	_, err = s.User(ctx, "clerk")
	require.NoError(t, err)
	_, err = s.Users(ctx)
	require.NoError(t, err)
	require.NoError(t, s.AppendAudit(ctx, access.Event{At: now, Actor: "clerk", Role: access.RoleDepartment, Action: "download", Target: "summary.csv", Outcome: "ok"}))
	_, err = s.Audit(ctx, access.AuditFilter{Actor: "clerk"})
	require.NoError(t, err)

	// the master data read back
	_, err = s.Catalog(ctx)
	require.NoError(t, err)
	_, err = s.Org(ctx)
	require.NoError(t, err)
	_, err = s.OrderEvents(ctx)
	require.NoError(t, err)
	_, err = s.AllAcceptances(ctx)
	require.NoError(t, err)
	_, err = s.Imports(ctx, "catalog")
	require.NoError(t, err)
	_, err = s.RuleVersions(ctx)
	require.NoError(t, err)
	_, err = s.ResourceOwners(ctx)
	require.NoError(t, err)
	_, err = s.VendorExists(ctx, "V1")
	require.NoError(t, err)
	_, err = s.IdleConfig(ctx)
	require.NoError(t, err)
	_, err = s.Cases(ctx)
	require.NoError(t, err)
	_, err = s.PendingDeliveries(ctx)
	require.NoError(t, err)
	from, to := idle.Window(calendar.MustDate("2026-11-30"))
	_, err = s.MeasureIdle(ctx, from, to, []idle.Resource{{Order: "X4", Resource: "vm-4", Kind: idle.KindVCPU,
		Spans: []idle.Span{{From: from, To: to, Quantity: decimal.NewFromInt(4)}}}})
	require.NoError(t, err)
	_, err = s.UtilisationP95Rows(ctx, p.Start(), p.End())
	require.NoError(t, err)
	// tokens and sessions
	require.NoError(t, s.PutToken(ctx, access.Token{ID: "tok1", Kind: access.TokenCollector, Vendor: "V1", Hash: "abc", CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}))
	_, err = s.Token(ctx, "tok1")
	require.NoError(t, err)
	_, err = s.Tokens(ctx)
	require.NoError(t, err)
	require.NoError(t, s.PutSession(ctx, access.Session{Hash: "sess1", Login: "clerk", CSRF: "c", CreatedAt: now, LastSeen: now, Remote: "127.0.0.1"}))
	_, err = s.Session(ctx, "sess1")
	require.NoError(t, err)
	_, err = s.OpenSessions(ctx, "clerk")
	require.NoError(t, err)
	ss, err := s.Sessions(ctx, []string{"sess1", "none"})
	require.NoError(t, err)
	require.Len(t, ss, 1)
	assert.Equal(t, access.Login("clerk"), ss[0].Login)

	// collectors
	start := time.Date(2026, 11, 30, 20, 0, 0, 0, calendar.Shanghai())
	require.NoError(t, s.SaveMappings(ctx, []pull.MappingRecord{{Vendor: "V1", Metric: "cpu_util", Query: "avg_over_time(x[1h])",
		ResourceLabel: "instance", Window: time.Hour, Lateness: time.Minute, Start: start, File: "test.yaml", At: now}}))
	_, err = s.Mappings(ctx)
	require.NoError(t, err)
	var ws []pull.Window
	for i, st := range []pull.Status{pull.Collected, pull.Partial, pull.Failed} {
		from := start.Add(time.Duration(i) * time.Hour)
		ws = append(ws, pull.Window{Vendor: "V1", Metric: "cpu_util", Start: from, End: from.Add(time.Hour), Status: st, Series: 3, Samples: 3, Trigger: "test", At: now})
	}
	require.NoError(t, s.RecordWindows(ctx, ws))
	_, err = s.WindowStates(ctx, "V1", "cpu_util", start, start.Add(24*time.Hour))
	require.NoError(t, err)
	_, err = s.WindowRecords(ctx, "V1", "cpu_util", start, start.Add(24*time.Hour))
	require.NoError(t, err)
	require.NoError(t, s.RecordIncompleteClose(ctx, p, now, "test", 1, "V1 cpu_util: 1 window failed"))

	// idle cases, evidence, deliveries
	d := decimal.RequireFromString
	c := idle.Case{ID: "20261130-D01-vcpu", Department: "D01", Kind: idle.KindVCPU, Reminder: calendar.MustDate("2026-11-30"),
		Deadline: calendar.MustDate("2026-12-30"), Ratio: d("0.2"), IdleRatio: d("0.5"), Allocated: d("16"), Target: d("10"), Saving: d("240"),
		Orders: []idle.CaseOrder{{Order: "X4", Resource: "vm-4", Item: "C01", Zone: "extranet", Allocated: d("16"), Recommended: d("10"), Saving: d("240")}},
		State:  idle.StateOpen, StateOn: calendar.MustDate("2026-11-30")}
	require.NoError(t, s.SaveCases(ctx, []idle.Case{c}, now))
	c.State, c.StateOn = idle.StateOverdue, calendar.MustDate("2026-12-31")
	require.NoError(t, s.SaveStates(ctx, []idle.Case{c}, now.Add(time.Hour)))
	require.NoError(t, s.SaveEvidence(ctx, []idle.Evidence{{Case: c.ID, Analysis: c.Reminder,
		Group: idle.Group{Department: "D01", Kind: idle.KindVCPU, Ratio: c.Ratio, Counted: 1, Allocated: d("16"), Used: d("1.2"), IdleRatio: c.IdleRatio, Over: true, Saving: d("240")}}}, now))
	_, err = s.Evidence(ctx, c.ID)
	require.NoError(t, err)
	require.NoError(t, s.SaveDelivery(ctx, idle.Delivery{Case: c.ID, Seq: 1, Event: "open", URL: "https://example.invalid/hook", Attempt: 1, At: now, StatusCode: 500, Outcome: "failed", Error: "500"}))
	_, err = s.Deliveries(ctx, c.ID)
	require.NoError(t, err)
	_, err = s.Cases(ctx)
	require.NoError(t, err)
	_, err = s.PendingDeliveries(ctx)
	require.NoError(t, err)

	// invoice uploads, budgets
	require.NoError(t, s.InsertInvoiceUpload(ctx, reconcile.Upload{ID: "feedface", Vendor: "V1", Period: p, UploadedAt: now, UploadedBy: "bureau",
		FileName: "x.csv", Summary: "{}", Claimed: d("98765.43"), Ours: decimal.Zero, Difference: decimal.Zero}))
	_, err = s.InvoiceUploads(ctx, "V1")
	require.NoError(t, err)
	_, _, err = s.InvoiceUploadOf(ctx, "feedface")
	require.NoError(t, err)
	_, err = funding.ImportBudgets(ctx, s, file("budgets.csv", "project_id,year,amount\nP01,2026,100000\nP03,2026,2000\n"), now)
	require.NoError(t, err)
	_, err = s.Budgets(ctx)
	require.NoError(t, err)
	_, err = s.BudgetHistory(ctx)
	require.NoError(t, err)
	_, err = s.YearRuns(ctx, 2026)
	require.NoError(t, err)
	_, err = s.YearLineSums(ctx, 2026)
	require.NoError(t, err)
	_, err = s.MeteredDays(ctx, calendar.MustDate("2026-11-01"), calendar.MustDate("2026-11-30"))
	require.NoError(t, err)
	require.NoError(t, s.InsertBudgetWarnings(ctx, []funding.Warning{{Project: "P03", Department: "D0301", Parent: "D03", Year: 2026,
		Threshold: funding.ThresholdSpentWarning, RunID: "r1", Period: "2026-11", Budget: d("2000.00"), Spent: d("1700.00"),
		Forecast: d("2100.00"), Share: d("0.8500"), At: now}}))
	warnings, err := s.BudgetWarnings(ctx, 2026)
	require.NoError(t, err)
	require.Len(t, warnings, 1)
	assert.Equal(t, "0.85", warnings[0].Share.String(), "the share in force when it fired")

	// payments and estimates (the year's money)
	_, err = funding.ImportPayments(ctx, s, file("payments.csv", "voucher_no,vendor_id,period,amount,paid_date\nPV-1,V1,2026-11,100.00,2026-12-05\n"), now)
	require.NoError(t, err)
	_, err = s.Payments(ctx)
	require.NoError(t, err)
	_, err = s.ClosedNets(ctx)
	require.NoError(t, err)
	_, err = s.ClosedVendorNets(ctx)
	require.NoError(t, err)
	_, err = s.IssuedEstimates(ctx)
	require.NoError(t, err)
	_, err = s.EstimatedPeriods(ctx)
	require.NoError(t, err)
	_, _, _, err = s.EstimateOf(ctx, calendar.MustPeriod("2026-12"))
	require.NoError(t, err)
	_, err = s.EstimatedNets(ctx)
	require.NoError(t, err)
	_, err = s.EstimatedVendorNets(ctx)
	require.NoError(t, err)

	// the year's other records: budget warnings and their deliveries, threshold versions,
	// an estimate issued and withdrawn; deduction rules and redundancy ratios imported
	imp := catalog.Import{ID: "chdb-import", Kind: "thresholds", File: "thresholds.csv", SHA256: "abc", Rows: 1, At: now}
	require.NoError(t, s.InsertBudgetThresholds(ctx, imp, []funding.ThresholdVersion{{Effective: calendar.MustDate("2026-01-01"),
		Thresholds: funding.Thresholds{Warning: d("0.8"), Over: d("1"), ForecastOver: d("1")}, Source: catalog.Source{ImportID: imp.ID, File: imp.File, Line: 2}}}))
	_, err = s.BudgetThresholds(ctx)
	require.NoError(t, err)
	require.NoError(t, s.InsertBudgetWarnings(ctx, []funding.Warning{{Project: "P01", Department: "D01", Year: 2026, Threshold: "warning", RunID: out.Run.ID,
		Period: "2026-11", Budget: d("100"), Spent: d("90"), Forecast: d("110"), At: now}}))
	key := funding.WarningKey{Project: "P01", Year: 2026, Threshold: "warning"}
	require.NoError(t, s.SaveWarningDelivery(ctx, funding.WarningDelivery{Key: key, Event: "warning", URL: "https://example.invalid/hook", Attempt: 1, At: now,
		StatusCode: 500, Outcome: "failed", Error: "500"}))
	_, err = s.PendingWarningDeliveries(ctx)
	require.NoError(t, err)
	_, err = s.WarningDeliveries(ctx, 2026)
	require.NoError(t, err)
	est := funding.EstimateInfo{ID: "2026-12-estimate-chdb", Period: calendar.MustPeriod("2026-12"), AsOf: calendar.MustDate("2026-12-02"), IssuedAt: now,
		IssuedBy: "test", Hash: "h", Lines: 1, Total: d("4.00")}
	require.NoError(t, s.InsertEstimate(ctx, est, funding.Estimate{Lines: []funding.EstimateLine{{Kind: rating.KindCharge, Department: "D01", Vendor: "V1",
		Project: "P01", Category: "om", Order: "X4", Item: "N04", Zone: catalog.ZoneInternet, ToDate: d("1.5"), Rest: d("2.5"), Amount: d("4.00")}}}))
	_, _, _, err = s.EstimateOf(ctx, calendar.MustPeriod("2026-12"))
	require.NoError(t, err)
	require.NoError(t, s.WithdrawEstimate(ctx, est, now, "test", "chdb"))
	rules := rating.DefaultRules()
	_, err = rating.ImportRules(ctx, s, "rules.csv", bytes.NewReader(rules.CSV()), calendar.MustPeriod("2026-12"), now)
	require.NoError(t, err)
	_, err = s.RuleVersions(ctx)
	require.NoError(t, err)
	require.NoError(t, s.InsertIdleVersions(ctx, catalog.Import{ID: "chdb-ratios", Kind: "idle", File: "ratios.csv", At: now},
		[]idle.Version{{Kind: idle.KindVCPU, Effective: calendar.MustDate("2026-01-01"), Ratio: d("0.2"), Sizes: idle.Sizes{d("2"), d("4")}, File: "ratios.csv", Line: 2}}))
	_, err = s.IdleConfig(ctx)
	require.NoError(t, err)
	_, err = s.AuditCount(ctx, access.AuditFilter{Actor: "clerk"})
	require.NoError(t, err)
	require.NoError(t, s.SettleMerges(ctx, time.Second))

	// the store's own look at its tables (status, backup)
	_, err = s.Acceptances(ctx, p)
	require.NoError(t, err)
	_, err = s.IssueFiles(ctx, p, "")
	require.NoError(t, err)
	_, err = s.ActiveParts(ctx, "rated_lines")
	require.NoError(t, err)
	_, err = s.RunningMerges(ctx)
	require.NoError(t, err)
	_, err = s.Tables(ctx)
	require.NoError(t, err)
	_, err = s.Migrations(ctx)
	require.NoError(t, err)
	_, err = s.Count(ctx, "order_events")
	require.NoError(t, err)
	tables, err := s.Tables(ctx)
	require.NoError(t, err)
	for _, tb := range tables {
		if tb.Name == "rated_lines" || tb.Name == "users" {
			require.NoError(t, s.DumpNative(ctx, backup.Dump{Table: tb}, func([]string) {}, func([]byte) error { return nil }))
		}
	}
	for _, table := range []string{"usage_samples", "rated_lines"} {
		_, err = s.RowCount(ctx, table)
		require.NoError(t, err)
	}
}
