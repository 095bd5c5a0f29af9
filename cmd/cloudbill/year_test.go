package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// The year's money through the CLI on a real ClickHouse: budgets refused
// (nothing stored) and imported from GB18030, shown, warned once after rating.
func TestYearCommands(t *testing.T) {
	dsn := catalogDSN(t)
	clock = time.Date(2026, 12, 21, 10, 0, 0, 0, calendar.Shanghai())
	fx := func(name string) string { return filepath.Join("..", "..", "sql", "testdata", "catalog", name) }
	cli := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		clock = clock.Add(time.Second) // each command a second later: imports and estimates are told apart by time
		a := &app{dsn: dsn, dataDir: t.TempDir(), stdout: &stdout, stderr: &stderr, now: func() time.Time { return clock }}
		defer a.close()
		err := a.runArgs(context.Background(), args)
		return stdout.String(), stderr.String(), err
	}
	for _, args := range [][]string{
		{"catalog", "import", fx("catalog.csv"), "--effective", "2026-01-01"},
		{"catalog", "adapt", fx("adaptations.csv")},
		{"org", "import", "--departments", fx("departments.csv"), "--projects", fx("projects.csv"), "--vendors", fx("vendors.csv")},
		{"orders", "import", fx("orders.csv")},
		{"acceptance", "import", fx("acceptance.csv")},
	} {
		out, errOut, err := cli(args...)
		require.NoError(t, err, out+errOut)
	}
	dir := t.TempDir()
	gb := func(name, text string) string {
		b, err := simplifiedchinese.GB18030.NewEncoder().String(text)
		require.NoError(t, err)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(b), 0o644))
		return p
	}
	readCSV := func(s string) []map[string]string {
		recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
		require.NoError(t, err, s)
		var out []map[string]string
		for _, r := range recs[1:] {
			m := map[string]string{}
			for i, h := range recs[0] {
				m[h] = r[i]
			}
			out = append(out, m)
		}
		return out
	}

	t.Run("budgets refused", func(t *testing.T) {
		bad := gb("bad-budgets.csv", "project_id,year,amount,x_note\n"+
			"P01,2026,1000.00,财政一体化\n"+ // fine, but the file is refused: not stored
			"P99,2026,10.00,不在清单\n"+
			"P04,2026,10.00,未批准\n"+
			"P01,2025,10.00,年度不对\n"+
			"P02,2026,-5.00,负数\n"+
			"P03,2026,\"1,000\",千分位\n"+
			"P03,2026,abc,非数字\n")
		_, errOut, err := cli("budgets", "import", bad)
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		for _, want := range []string{
			"bad-budgets.csv 未受理，未存储任何内容：共 6 处错误：",
			"bad-budgets.csv 第 3 行（项目 P99，年度 2026），列 “project_id”：未知的项目 P99（不在任何年度的项目清单中）",
			"bad-budgets.csv 第 4 行（项目 P04，年度 2026），列 “year”：项目 P04 未获批列入 2026 年度（其费用不列入项目资金，没有预算）",
			"bad-budgets.csv 第 5 行（项目 P01，年度 2025），列 “year”：项目 P01 不在 2025 年度的项目清单中",
			"bad-budgets.csv 第 6 行（项目 P02，年度 2026），列 “amount”：金额 -5.00 为负数",
			"bad-budgets.csv 第 7 行（项目 P03，年度 2026），列 “amount”：“1,000”含千位分隔符或小数逗号：请写成 1234.56 这样的数，最多两位小数",
			"bad-budgets.csv 第 8 行（项目 P03，年度 2026），列 “amount”：“abc”不是金额：请写成 1234.56 这样的数，最多两位小数",
		} {
			assert.Contains(t, errOut, want)
		}
		out, _, err := cli("budgets", "show", "--year", "2026", "--as-of", "2026-11-30", "--format", "csv")
		require.NoError(t, err)
		for _, r := range readCSV(out) {
			assert.Empty(t, r["budget"], "nothing of a refused file is stored: %v", r)
		}
	})

	// P01's budget is below what November costs it: over after the rating, once.
	good := gb("budgets.csv", "project_id,year,amount,x_note\nP01,2026,10.00,财政一体化\nP02,2026,900000.00,数据共享\n")
	out, errOut, err := cli("budgets", "import", good)
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "2 budgets accepted")
	out, _, err = cli("rate", "--period", "2026-11")
	require.NoError(t, err)
	assert.Contains(t, out, "project P01 (D01) 2026: spent_over")
	out, _, err = cli("rate", "--period", "2026-11")
	require.NoError(t, err)
	assert.NotContains(t, out, "budget      project", "a re-rating across the same thresholds fires nothing")
	out, _, err = cli("budgets", "warnings", "--year", "2026")
	require.NoError(t, err)
	ws := readCSV(out)
	var fired []string
	for _, w := range ws {
		// the share in force when it fired (the defaults: no version imported yet)
		assert.Equal(t, map[string]string{"spent_warning": "0.8", "spent_over": "1", "forecast_over_budget": "1"}[w["threshold"]], w["share"], "%v", w)
		assert.Equal(t, "P01", w["project_id"])
		assert.Equal(t, "2026-11", w["period"])
		assert.True(t, strings.HasPrefix(w["run_id"], "2026-11-"), w["run_id"])
		fired = append(fired, w["threshold"])
	}
	assert.ElementsMatch(t, []string{"spent_warning", "spent_over", "forecast_over_budget"}, fired)

	t.Run("warnings by webhook, each once", func(t *testing.T) { yearWebhook(t, cli, fired) })

	// the amount raised mid-year: a new version, in force from now on
	out, _, err = cli("budgets", "import", gb("raise.csv", "project_id,year,amount\nP01,2026,1000000.00\nP02,2026,900000.00\n"))
	require.NoError(t, err)
	assert.Contains(t, out, "1 budgets accepted, 1 already present (1 replace earlier entries)")
	out, _, err = cli("budgets", "show", "--year", "2026", "--as-of", "2026-11-30", "--format", "csv")
	require.NoError(t, err)
	rows := readCSV(out)
	byProject := map[string]map[string]string{}
	spent := decimal.Zero
	for _, r := range rows {
		byProject[r["project_id"]] = r
		spent = spent.Add(decimal.RequireFromString(r["spent"]))
		assert.True(t, decimal.RequireFromString(r["forecast"]).GreaterThanOrEqual(decimal.RequireFromString(r["spent"])),
			"December still to come: %v", r)
	}
	require.Contains(t, byProject, "P01")
	assert.Equal(t, "1000000.00", byProject["P01"]["budget"])
	assert.Equal(t, "ok", byProject["P01"]["state"])
	assert.Equal(t, "正常", byProject["P01"]["state_label"])
	assert.Equal(t, "no_budget", byProject["P04"]["state"], "not approved: no budget")
	t.Run("thresholds versioned", func(t *testing.T) { yearThresholds(t, cli, gb, readCSV) })
	out, _, err = cli("budgets", "show", "--year", "2026", "--as-of", "2026-11-30", "--department", "D01", "--format", "json")
	require.NoError(t, err)
	assert.Contains(t, out, `"project_id": "P01"`)
	assert.NotContains(t, out, `"project_id": "P02"`)
	out, _, err = cli("budgets", "show", "--year", "2026", "--as-of", "2026-11-30")
	require.NoError(t, err)
	assert.Contains(t, out, "1,000,000.00")
	assert.True(t, spent.IsPositive())
	// as of 31 December nothing is left to forecast
	out, _, err = cli("budgets", "show", "--year", "2026", "--as-of", "2026-12-31", "--format", "csv")
	require.NoError(t, err)
	for _, r := range readCSV(out) {
		assert.Equal(t, r["spent"], r["forecast"], r["project_id"])
	}

	t.Run("payments and the December estimate", func(t *testing.T) { yearPayments(t, cli, gb, readCSV, dir) })
}

// yearWebhook: the warnings that fired are posted to a real HTTP receiver, which fails
// the first attempt (503: tried again in the same run) and answers 200 after; each
// warning arrives delivered once, a second run and a re-rating post nothing.
func yearWebhook(t *testing.T, cli func(...string) (string, string, error), fired []string) {
	type got struct {
		key, auth string
		body      map[string]any
		code      int
	}
	var mu sync.Mutex
	var posts []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		err := json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		code := http.StatusOK
		if len(posts) == 0 || err != nil {
			code = http.StatusServiceUnavailable
		}
		user, pass, _ := r.BasicAuth()
		posts = append(posts, got{key: r.Header.Get("Idempotency-Key"), auth: user + ":" + pass, body: body, code: code})
		w.WriteHeader(code)
	}))
	defer srv.Close()
	creds := filepath.Join(t.TempDir(), "hook-credentials")
	require.NoError(t, os.WriteFile(creds, []byte("cloudbill:s3cret\n"), 0o600))
	out, errOut, err := cli("budgets", "deliver", "--webhook", srv.URL+"/budget", "--webhook-credentials-file", creds)
	require.NoError(t, err, out+errOut)
	assert.Contains(t, out, fmt.Sprintf("%d delivered, 0 rejected, 0 given up, 0 waiting", len(fired)))
	mu.Lock()
	delivered := map[string]int{}
	var thresholds []string
	for _, p := range posts {
		assert.Equal(t, "cloudbill:s3cret", p.auth, "credentials from the file, by basic authentication")
		if p.code != http.StatusOK {
			continue
		}
		delivered[p.key]++
		assert.Equal(t, "P01", p.body["project_id"])
		assert.Equal(t, "D01", p.body["department_id"])
		assert.Equal(t, "budget.warning."+p.body["threshold"].(string), p.body["event"])
		assert.NotEmpty(t, p.body["threshold_name"])
		assert.NotEmpty(t, p.body["threshold_share"])
		assert.Equal(t, "10.00", p.body["budget"])
		assert.Equal(t, "budget/P01/2026/"+p.body["threshold"].(string), p.key)
		thresholds = append(thresholds, p.body["threshold"].(string))
	}
	assert.Len(t, posts, len(fired)+1, "one 503, then each warning once")
	n := len(posts)
	mu.Unlock()
	assert.ElementsMatch(t, fired, thresholds)
	for k, c := range delivered {
		assert.Equal(t, 1, c, k)
	}
	out, _, err = cli("budgets", "deliver", "--webhook", srv.URL+"/budget")
	require.NoError(t, err)
	assert.Contains(t, out, "0 delivered, 0 rejected, 0 given up, 0 waiting")
	_, _, err = cli("rate", "--period", "2026-11")
	require.NoError(t, err)
	_, _, err = cli("budgets", "deliver", "--webhook", srv.URL+"/budget")
	require.NoError(t, err)
	mu.Lock()
	assert.Equal(t, n, len(posts), "a delivered warning is never posted again, a re-rating fires none")
	mu.Unlock()
}

// yearSettlementFiles: December's vendor settlement lists the year's vouchers imported by
// its close; January 2027's carries the 上年12月预估差额 lines, which add up to the ledger's
// true-up, after the month's own lines: its CSV's amounts add up to what it asks to pay.
func yearSettlementFiles(t *testing.T, must func(...string) string, readCSV func(string) []map[string]string, out, trueUp string) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed: make deps")
	}
	pdfText := func(path string) string {
		b, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		require.NoError(t, err, path)
		return string(b)
	}
	dec := pdfText(filepath.Join(out, "2026-12", "vendors", "V1.pdf"))
	assert.Contains(t, dec, "本年支付情况")
	for _, v := range []string{"PZ-001", "PZ-002", "PZ-003", "退款 PZ-001"} {
		assert.Contains(t, dec, v)
	}
	nov, err := os.ReadFile(filepath.Join(out, "2026-11", "vendors", "V1.pdf"))
	if err == nil {
		assert.NotContains(t, pdfText(filepath.Join(out, "2026-11", "vendors", "V1.pdf")), "本年支付情况", "November closed before any voucher: unchanged (%d bytes)", len(nov))
	}
	must("rate", "--period", "2027-01")
	must("statements", "--period", "2027-01", "--out", out)
	b, err := os.ReadFile(filepath.Join(out, "2027-01", "vendors", "V1.csv"))
	require.NoError(t, err)
	total, own, tu := decimal.Zero, decimal.Zero, decimal.Zero
	seenTrueUp := false
	for _, r := range readCSV(string(b)) {
		a := decimal.RequireFromString(r["amount"])
		total = total.Add(a)
		if strings.HasPrefix(r["note"], "上年12月预估差额") {
			seenTrueUp = true
			assert.Equal(t, "adjustment", r["kind"])
			assert.Equal(t, "2026-12", r["corrects"])
			assert.Equal(t, "2027-01", r["period"])
			tu = tu.Add(a)
			continue
		}
		assert.False(t, seenTrueUp, "the true-up lines come after the month's own")
		own = own.Add(a)
	}
	require.NotEqual(t, "0.00", trueUp)
	assert.Equal(t, trueUp, tu.StringFixed(2), "the lines add up to the ledger's true-up")
	assert.True(t, own.Add(tu).Equal(total))
	jan := pdfText(filepath.Join(out, "2027-01", "vendors", "V1.pdf"))
	assert.Contains(t, jan, "上年12月预估差额")
	assert.Contains(t, jan, "本期应付合计")
	// the department statements and the finance summary carry it too, apart from the
	// month's own cost: their CSVs end with its lines, and add up to month + true-up
	trueUpOf := func(name string) (own, tu decimal.Decimal) {
		b, err := os.ReadFile(filepath.Join(out, "2027-01", name))
		require.NoError(t, err)
		own, tu = decimal.Zero, decimal.Zero
		for _, r := range readCSV(string(b)) {
			a := decimal.RequireFromString(r["amount"])
			if strings.HasPrefix(r["note"], "上年12月预估差额") {
				assert.Equal(t, "2026-12", r["corrects"], name)
				tu = tu.Add(a)
			} else {
				own = own.Add(a)
			}
		}
		return own, tu
	}
	sumOwn, sumTU := trueUpOf("summary.csv")
	assert.Equal(t, trueUp, sumTU.StringFixed(2), "one vendor with a true-up: the summary's is V1's")
	depTU := decimal.Zero
	for _, d := range []string{"D01", "D02", "D03"} {
		if _, err := os.Stat(filepath.Join(out, "2027-01", "departments", d+".csv")); err == nil {
			_, tu := trueUpOf(filepath.Join("departments", d+".csv"))
			depTU = depTU.Add(tu)
		}
	}
	assert.Equal(t, trueUp, depTU.StringFixed(2), "the top-level departments' true-ups add up to the vendors'")
	summary := pdfText(filepath.Join(out, "2027-01", "summary.pdf"))
	assert.Contains(t, summary, "上年12月预估差额（2026年12月结算 − 预估，不属本月费用）")
	assert.Contains(t, summary, money.Grouped(sumOwn), "the month's own total as before")
	assert.Contains(t, summary, "全区本期应付合计（含上年12月预估差额）")
	assert.Contains(t, summary, money.Grouped(sumOwn.Add(sumTU)))
	assert.Contains(t, pdfText(filepath.Join(out, "2027-01", "departments", "D01.pdf")), "本期应付合计（含上年12月预估差额）")
}

// yearThresholds: a refused thresholds file stores nothing; imported versions apply from
// their effective dates (P01, 1,000,000.00 budget and some hundreds spent in November, is
// ok by the defaults and at warning by a warning share of 0.0001 = 100.00 CNY).
func yearThresholds(t *testing.T, cli func(...string) (string, string, error), gb func(string, string) string,
	readCSV func(string) []map[string]string) {
	stateOn := func(day string) string {
		out, _, err := cli("budgets", "show", "--year", "2026", "--as-of", day, "--format", "csv")
		require.NoError(t, err)
		for _, r := range readCSV(out) {
			if r["project_id"] == "P01" {
				spent := decimal.RequireFromString(r["spent"])
				require.True(t, spent.GreaterThan(decimal.NewFromInt(100)) && spent.LessThan(decimal.NewFromInt(800000)), "P01 spent %s", spent)
				return r["state"]
			}
		}
		t.Fatalf("no P01 in %s", out)
		return ""
	}
	bad := gb("bad-thresholds.csv", "effective,warning,over,forecast_over\n"+
		"2026-11-15,0.0001,1.00,1.00\n"+ // fine, but the file is refused: not stored
		"2026-13-01,0.80,1.00,1.00\n"+
		"2026-11-16,80%,1.00,1.00\n"+
		"2026-11-17,1.20,1.00,1.00\n"+
		"2026-11-15,0.90,1.00,1.00\n"+
		"2026-11-18,0.80,0,1.00\n")
	_, errOut, err := cli("budgets", "thresholds", "import", bad)
	require.Error(t, err)
	assert.Equal(t, exitBadInput, exitCode(err))
	for _, want := range []string{
		"bad-thresholds.csv 第 3 行（生效日期 2026-13-01），列 “effective”：“2026-13-01”不是 YYYY-MM-DD 格式的日期",
		"bad-thresholds.csv 第 4 行（生效日期 2026-11-16），列 “warning”：“80%”不是预算比例：请写成 0.80 这样的数（即 80%，最多四位小数）",
		"bad-thresholds.csv 第 5 行（生效日期 2026-11-17），列 “warning”：预警比例 1.2 高于超支比例 1",
		"bad-thresholds.csv 第 6 行（生效日期 2026-11-15），列 “effective”：2026-11-15 生效的第二个版本（另见第 2 行）",
		"bad-thresholds.csv 第 7 行（生效日期 2026-11-18），列 “over”：比例 0 不在 (0, 10] 之内",
	} {
		assert.Contains(t, errOut, want)
	}
	assert.Equal(t, "ok", stateOn("2026-11-16"), "nothing of the refused file stored")

	out, errOut, err := cli("budgets", "thresholds", "import", gb("thresholds.csv", "effective,warning,over,forecast_over\n"+
		"2026-11-20,0.80,1.00,1.00\n2026-11-15,0.0001,1.00,1.00\n"))
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "2 threshold versions accepted")
	assert.Equal(t, "ok", stateOn("2026-11-14"), "before the first version: the defaults")
	assert.Equal(t, "warning", stateOn("2026-11-16"), "warning share 0.0001 from 15 November")
	assert.Equal(t, "ok", stateOn("2026-11-30"), "back to 0.80 from 20 November")
	out, _, err = cli("budgets", "thresholds", "show", "--date", "2026-11-16")
	require.NoError(t, err)
	assert.Contains(t, out, "in force on 2026-11-16: warning 0.0001, over 1.00, forecast_over 1.00")
	assert.Contains(t, out, "thresholds.csv:3")
	// the warnings keep the shares they fired at, whatever version is in force since
	out, _, err = cli("budgets", "warnings", "--year", "2026")
	require.NoError(t, err)
	for _, w := range readCSV(out) {
		if w["threshold"] == "spent_warning" {
			assert.Equal(t, "0.8", w["share"])
		}
	}
}

// clock is the time of the year test's commands.
var clock time.Time

// yearPayments: November closed, December estimated as of the 20th, vouchers imported
// (and refused), the ledger, the true-up after December closes.
func yearPayments(t *testing.T, cli func(...string) (string, string, error), gb func(string, string) string,
	readCSV func(string) []map[string]string, dir string) {
	must := func(args ...string) string {
		out, errOut, err := cli(args...)
		require.NoError(t, err, "%v: %s%s", args, out, errOut)
		return out
	}
	must("close", "--period", "2026-11")
	// two metered orders of V1 from 1 December: traffic (N04, sum) and object storage (S03,
	// average of the daily maxima), with samples of 1–20 December
	must("orders", "import", gb("metered-orders.csv", "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id\n"+
		"WO-7,open,2026-12-01,D01,P01,V1,internet,N04,1,eip-7\n"+
		"WO-8,open,2026-12-01,D01,P01,V1,extranet,S03,1,oss-8\n"))
	samples := func(name string, from, to int, gbPerDay, stored string) string {
		var b strings.Builder
		b.WriteString("resource_id,metric,ts,value\n")
		for d := from; d <= to; d++ {
			fmt.Fprintf(&b, "eip-7,net_out_gb,2026-12-%02dT12:00:00+08:00,%s\n", d, gbPerDay)
			fmt.Fprintf(&b, "oss-8,objstore_gb,2026-12-%02dT12:00:00+08:00,%s\n", d, stored)
		}
		return gb(name, b.String())
	}
	must("ingest", samples("samples-1-20.csv", 1, 20, "10", "100"))
	must("rate", "--period", "2026-12")
	out := filepath.Join(dir, "out")
	refused := func(want string, args ...string) {
		_, errOut, err := cli(args...)
		require.Error(t, err, "%v", args)
		assert.Equal(t, exitBadInput, exitCode(err), "%v", args)
		assert.Contains(t, err.Error()+errOut, want, "%v", args)
	}
	refused("the month is closed", "estimate", "--period", "2026-11", "--as-of", "2026-11-20", "--out", out)
	refused("only December is estimated", "estimate", "--period", "2027-01", "--as-of", "2027-01-05", "--out", out)
	refused("not a day of the month", "estimate", "--period", "2026-12", "--as-of", "2027-01-05", "--out", out)
	got := must("estimate", "--period", "2026-12", "--as-of", "2026-12-20", "--out", out)
	assert.Contains(t, got, "(预估)")
	refused("already issued", "estimate", "--period", "2026-12", "--as-of", "2026-12-21", "--out", out)
	csvFile := filepath.Join(out, "2026-12-estimate", "vendors", "V1.csv")
	first, err := os.ReadFile(csvFile)
	require.NoError(t, err)
	// by hand: WO-7 200 GB so far × 0.80 = 160.00 + 160.00 ÷ 20 days × 11 left = 88.00 →
	// 248.00; WO-8 the average of the daily maxima so far, 100 GB × 0.121 = 12.10, taken
	// as the month's (not extended)
	metered := map[string][3]string{}
	for _, r := range readCSV(string(first)) {
		if r["kind"] == "metered" {
			metered[r["order_id"]] = [3]string{r["to_date"], r["rest"], r["amount"]}
		}
	}
	assert.Equal(t, map[string][3]string{"WO-7": {"160.000000", "88.000000", "248.00"}, "WO-8": {"12.100000", "0.000000", "12.10"}}, metered)
	// the samples of 21–31 December arrive and December is rated again: the month's
	// metered lines grow, an estimate as of the 20th does not move
	must("ingest", samples("samples-21-31.csv", 21, 31, "1000", "5000"))
	must("rate", "--period", "2026-12")
	must("estimate", "withdraw", "--period", "2026-12", "--reason", "a late change order")
	got = must("estimate", "--period", "2026-12", "--as-of", "2026-12-20", "--out", out)
	b, err := os.ReadFile(csvFile)
	require.NoError(t, err)
	assert.Equal(t, string(first), string(b), "samples after the analysis date do not change the estimate")
	estNet := decimal.Zero
	for _, r := range readCSV(string(b)) {
		assert.Equal(t, "预估", r["estimate"])
		estNet = estNet.Add(decimal.RequireFromString(r["amount"]))
	}
	assert.True(t, estNet.IsPositive())
	_, err = os.Stat(filepath.Join(out, "2026-12-estimate", "vendors", "V1.pdf"))
	require.NoError(t, err)

	bad := gb("bad-payments.csv", "voucher_no,vendor_id,period,amount,paid_date,refunds\n"+
		"PZ-001,V1,2026-11,100.00,2026-12-05,\n"+ // fine, but not stored: the file is refused
		"PZ-002,V9,2026-11,100.00,2026-12-05,\n"+
		"PZ-003,V1,2026-10,100.00,2026-12-05,\n"+
		"PZ-004,V1,2026-11,-10.00,2026-12-05,\n"+
		"PZ-005,V1,2026-11,-10.00,2026-12-05,PZ-999\n"+
		"PZ-006,V1,2026-11,1,000.00,2026-12-05,\n")
	_, errOut, err := cli("payments", "import", bad)
	require.Error(t, err)
	for _, want := range []string{
		"bad-payments.csv 第 3 行（凭证 PZ-002），列 “vendor_id”：未知的服务商 V9",
		"bad-payments.csv 第 4 行（凭证 PZ-003），列 “period”：2026-10 既未结账也未预估：该月尚无应付款",
		"bad-payments.csv 第 5 行（凭证 PZ-004），列 “refunds”：负数金额是退款：请在 refunds 列写明被退款的凭证号",
		"bad-payments.csv 第 6 行（凭证 PZ-005），列 “refunds”：退款所对应的凭证 PZ-999 尚未导入",
		"bad-payments.csv 第 7 行：该行有 7 个字段，表头有 6 列",
	} {
		assert.Contains(t, errOut, want)
	}
	good := gb("payments.csv", "voucher_no,vendor_id,period,amount,paid_date,refunds,x_备注\n"+
		"PZ-001,V1,2026-11,500.00,2026-12-05,,十一月\n"+
		"PZ-002,V1,2026-11,-20.00,2026-12-15,PZ-001,退款\n"+
		"PZ-003,V1,2026-12,"+estNet.StringFixed(2)+",2026-12-28,,十二月预估\n"+
		"PZ-004,V2,2026-11,100.00,2027-01-08,,跨年\n")
	got = must("payments", "import", good)
	assert.Contains(t, got, "4 vouchers accepted")
	got = must("payments", "import", good)
	assert.Contains(t, got, "0 vouchers accepted, 4 already present")
	refused("凭证 PZ-001 已导入过", "payments", "import", gb("again.csv", "voucher_no,vendor_id,period,amount,paid_date\nPZ-001,V1,2026-11,501.00,2026-12-05\n"))

	rows := readCSV(must("payments", "show", "--year", "2026", "--format", "csv"))
	require.Len(t, rows, 2)
	for _, r := range rows {
		payable, paid, outstanding := decimal.RequireFromString(r["payable"]), decimal.RequireFromString(r["paid"]), decimal.RequireFromString(r["outstanding"])
		assert.True(t, payable.Sub(paid).Equal(outstanding), "%v", r)
	}
	assert.Equal(t, estNet.StringFixed(2), rows[0]["estimate"], "December payable at its estimate")
	assert.Equal(t, "1", rows[1]["cross_year_vouchers"])
	table := must("payments", "show", "--year", "2026")
	assert.Contains(t, table, "跨年支付")
	assert.Contains(t, table, "退款 PZ-001")

	// December closes: 2027 owes the difference final − estimate, booked in January
	// an order opened on 1 December, confirmed after the estimate: the final December
	// has it, the estimate not (a true-up to pay in January)
	must("orders", "import", gb("late-order.csv", "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id\n"+
		"WO-9,open,2026-12-01,D01,P01,V1,extranet,C01,2,ecs-009\n"))
	must("rate", "--period", "2026-12")
	clock = time.Date(2027, 1, 2, 10, 0, 0, 0, calendar.Shanghai())
	must("close", "--period", "2026-12", "--allow-pending")
	must("statements", "--period", "2026-12", "--out", out)
	b, err = os.ReadFile(filepath.Join(out, "2026-12", "vendors", "V1.csv"))
	require.NoError(t, err)
	final := decimal.Zero
	for _, r := range readCSV(string(b)) {
		final = final.Add(decimal.RequireFromString(r["amount"]))
	}
	next := readCSV(must("payments", "show", "--year", "2027", "--vendor", "V1", "--format", "csv"))
	require.Len(t, next, 1)
	assert.Equal(t, final.Sub(estNet).StringFixed(2), next[0]["true_up"], "上年12月预估差额 = final %s − estimate %s", final, estNet)
	again := readCSV(must("payments", "show", "--year", "2026", "--vendor", "V1", "--format", "csv"))
	assert.Equal(t, rows[0]["payable"], again[0]["payable"], "2026 keeps December at its estimate")
	refused("the month is closed", "estimate", "withdraw", "--period", "2026-12", "--reason", "too late")
	yearSettlementFiles(t, must, readCSV, out, next[0]["true_up"])

	// the declaration for 2027 as of 31 December: 12 × what December (a full month of the
	// same orders, closed) cost them
	got = must("declare", "--year", "2027", "--as-of", "2026-12-31", "--out", out)
	assert.Contains(t, got, "declaration 2027 as of 2026-12-31")
	b, err = os.ReadFile(filepath.Join(out, "2026-12", "summary.csv"))
	require.NoError(t, err)
	december := decimal.Zero
	for _, r := range readCSV(string(b)) {
		if r["kind"] == "charge" || r["kind"] == "unfunded" || r["kind"] == "metered" {
			december = december.Add(decimal.RequireFromString(r["amount"]))
		}
	}
	decl := filepath.Join(out, "declaration-2027")
	b, err = os.ReadFile(filepath.Join(decl, "summary.csv"))
	require.NoError(t, err)
	sum := readCSV(string(b))
	require.NotEmpty(t, sum)
	total := sum[len(sum)-1]
	assert.Equal(t, december.Mul(decimal.NewFromInt(12)).StringFixed(2), total["annual"], "12 × December's charges")
	for _, r := range sum[:len(sum)-1] {
		for _, ext := range []string{".csv", ".xlsx", ".pdf"} {
			_, err := os.Stat(filepath.Join(decl, r["department_id"]+ext))
			assert.NoError(t, err)
		}
		b, err := os.ReadFile(filepath.Join(decl, r["department_id"]+".csv"))
		require.NoError(t, err)
		lines := readCSV(string(b))
		dept := decimal.Zero
		for _, l := range lines[:len(lines)-1] {
			dept = dept.Add(decimal.RequireFromString(l["annual"]))
		}
		assert.Equal(t, r["annual"], dept.StringFixed(2), "the department's lines add up to its summary row")
		assert.Equal(t, r["annual"], lines[len(lines)-1]["annual"], "and to its total row")
	}
	refused("the year after", "declare", "--year", "2026", "--as-of", "2026-12-31", "--out", out)
}
