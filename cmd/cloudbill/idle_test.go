package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/schedule/jobrun"
)

// writeIdleSamples writes a CSV of hourly cpu_util samples of ecs-001 (WO-1 of the catalog
// fixtures: D01, 16 vCPU from 11-10) at 10%, 2026-11-01 … 11-30.
func writeIdleSamples(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("resource_id,metric,ts,value,source\n")
	for d := calendar.MustDate("2026-11-01"); !d.After(calendar.MustDate("2026-11-30")); d = d.AddDays(1) {
		for h := 0; h < 24; h++ {
			fmt.Fprintf(&b, "ecs-001,cpu_util,%sT%02d:00:00+08:00,10,V1\n", d, h)
		}
	}
	f := filepath.Join(dir, "samples.csv")
	require.NoError(t, os.WriteFile(f, []byte(b.String()), 0o644))
	return f
}

// TestIdleCommands runs the idle commands on the catalog fixtures (sql/testdata/catalog)
// with samples ingested through `cloudbill ingest`.
//
// WO-1 (D01, ecs-001, C01 in the extranet) is 8 vCPU from 11-01 and 16 from 11-10; its
// samples are 10% every hour of November. Analysis of 2026-11-30 (window 11-01 … 11-30):
// capacity used per sample 0.8 (8 × 10%) before 11-10, 1.6 after; p95 1.6, against 16:
// p95 10%, used 1.6, idle 0.9 > 0.20 → ≥ 1.6 ÷ 0.8 = 2: 2 vCPU. C01 costs 38 from
// 2026-11-16 (catalog-2026-11-16.csv): saving 14 × 38 = 532.00.
func TestIdleCommands(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, false)
	_, _, err := at(t, dsn, time.Now(), "catalog", "import", filepath.Join("..", "..", "sql", "testdata", "catalog", "catalog-2026-11-16.csv"), "--effective", "2026-11-16")
	require.NoError(t, err)
	dir := t.TempDir()
	_, errOut, err := at(t, dsn, time.Now(), "ingest", "--report", filepath.Join(dir, "r.txt"), writeIdleSamples(t, dir))
	require.NoError(t, err, errOut)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, calendar.Shanghai())

	t.Run("bad usage and bad configuration", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"idle"}, "idle: want a subcommand"},
			{[]string{"idle", "analyze", "--date", "2026-02-30"}, `idle analyze: --date "2026-02-30": want a day YYYY-MM-DD`},
			{[]string{"idle", "analyze", "--format", "xml"}, `idle analyze: --format "xml": want table, csv or json`},
			{[]string{"idle", "analyze", "--interval", "7m"}, "idle analyze: --interval: 7m0s: want whole seconds that divide a day"},
			{[]string{"idle", "deliver", "--webhook", "ftp://x"}, `idle deliver: webhook URL "ftp://x": want http(s)://host/path`},
		} {
			_, _, err := at(t, dsn, now, c.args...)
			require.Error(t, err, "%v", c.args)
			assert.Equal(t, exitBadInput, exitCode(err), "%v", c.args)
			assert.Contains(t, err.Error(), c.want)
		}
		bad := filepath.Join(dir, "ratios-bad.csv")
		require.NoError(t, os.WriteFile(bad, []byte("kind,effective,ratio\nvcpu,2026-01-01,1.5\ndisk,2026-01-01,0.2\nmemory,2026-01-01,0.2\nmemory,2026-01-01,0.3\n"), 0o644))
		_, errOut, err := at(t, dsn, now, "idle", "config", "import", bad)
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.Contains(t, errOut, "文件 "+bad+" 未受理，未存储任何内容：共 2 处错误：")
		assert.Contains(t, errOut, "文件 "+bad+" 第 2 行（资源 vcpu，生效日期 2026-01-01），列 “ratio”：1.5 不在 0～1 之内：冗余系数须不小于 0 且小于 1（如 0.20）")
		assert.Contains(t, errOut, "文件 "+bad+" 第 3 行（资源 disk，生效日期 2026-01-01），列 “kind”：“disk”不是冗余系数适用的资源：应为 vcpu 或 memory")
		out, _, err := at(t, dsn, now, "idle", "config", "show")
		require.NoError(t, err)
		assert.Contains(t, out, "no redundancy ratio imported: 0.2 for every kind", "a refused file stores nothing")
	})

	t.Run("analyze, cases, reminders, follow, overdue", func(t *testing.T) {
		out, _, err := at(t, dsn, now, "idle", "analyze", "--date", "2026-11-30", "--interval", "1h", "--format", "csv")
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 2, out)
		assert.True(t, strings.HasPrefix(lines[0], "department_id,kind,resource_id,order_id,allocated,p95_util,used,status,recommended_quantity,monthly_saving,"))
		assert.True(t, strings.HasPrefix(lines[1], "D01,vcpu,ecs-001,WO-1,16,10,1.6,reduce,2,532.00,"), lines[1])

		out, _, err = at(t, dsn, now, "idle", "cases", "list")
		require.NoError(t, err)
		assert.Contains(t, out, "20261130-D01-vcpu")
		assert.Contains(t, out, "2026-12-30")

		rdir := filepath.Join(dir, "reminders")
		out, _, err = at(t, dsn, now, "idle", "reminders", "--out", rdir)
		require.NoError(t, err)
		assert.Contains(t, out, "1 departments")
		for _, f := range []string{"D01.pdf", "D01.csv"} {
			st, err := os.Stat(filepath.Join(rdir, "2026-11-30", f))
			require.NoError(t, err)
			assert.Positive(t, st.Size())
		}

		out, _, err = at(t, dsn, time.Date(2026, 12, 31, 5, 0, 0, 0, calendar.Shanghai()), "idle", "follow")
		require.NoError(t, err)
		assert.Contains(t, out, "20261130-D01-vcpu: overdue on 2026-12-31")
		csvFile := filepath.Join(dir, "downsizing.csv")
		_, _, err = at(t, dsn, time.Date(2026, 12, 31, 5, 0, 0, 0, calendar.Shanghai()), "idle", "overdue", "--out", csvFile)
		require.NoError(t, err)
		b, err := os.ReadFile(csvFile)
		require.NoError(t, err)
		assert.Equal(t, "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,portion,x_case_id,x_deadline,x_current_quantity\n"+
			"WO-1,change,2026-12-31,D01,P01,V1,extranet,C01,2,ecs-001,,20261130-D01-vcpu,2026-12-30,16\n", string(b))

		out, _, err = at(t, dsn, now, "idle", "cases", "show", "20261130-D01-vcpu")
		require.NoError(t, err)
		assert.Contains(t, out, "state overdue since 2026-12-31")
		assert.Contains(t, out, "evidence of the analysis of 2026-11-30")
	})

	t.Run("serve's idle jobs are recorded in job_runs", func(t *testing.T) {
		a := &app{dsn: dsn, dataDir: t.TempDir(), stdout: io.Discard, stderr: io.Discard,
			now: func() time.Time { return time.Date(2027, 1, 1, 4, 0, 0, 0, calendar.Shanghai()) }}
		defer a.close()
		s, err := a.Store(context.Background())
		require.NoError(t, err)
		// serve's one scheduler, started twice: on the first start the analysis of
		// 2026-12-31 (never run) catches up, on the second it is recorded and does not;
		// the follow-up catches up on each start
		set := serveJobFlags(t, "--close-schedule", "off", "--rate-schedule", "off", "--idle-interval", "1h")
		for range 2 {
			sched, err := startScheduler(context.Background(), a, set, newServeLog(io.Discard, "text"))
			require.NoError(t, err)
			select {
			case <-sched.CaughtUp():
			case <-time.After(5 * time.Minute):
				t.Fatal("the catch-up did not end")
			}
			sched.Stop()
		}
		runs, err := s.JobRuns(context.Background(), "")
		require.NoError(t, err)
		var got []string
		for _, r := range runs {
			if strings.HasPrefix(r.Job, "idle-") {
				got = append(got, fmt.Sprintf("%s %s %s %s", r.Job, r.Period, r.Trigger, r.Status))
			}
		}
		assert.Equal(t, []string{"idle-analyze 2026-12 catch-up ok", "idle-follow 2027-01 catch-up ok", "idle-follow 2027-01 catch-up ok"}, got)
		assert.Equal(t, jobrun.OK, runs[len(runs)-1].Status)
	})
}
