package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// at runs one command on dsn with the clock stopped at now (run's clock is the real
// one; a month's close and its month to date depend on the day).
func at(t *testing.T, dsn string, now time.Time, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	a := &app{dsn: dsn, dataDir: t.TempDir(), stdout: &o, stderr: &e, now: func() time.Time { return now }}
	defer a.close()
	err = a.runArgs(context.Background(), args)
	return o.String(), e.String(), err
}

// importFixtures loads the catalog fixtures of sql/testdata/catalog (November 2026:
// departments D01, D02, D03 with units D0301 and D0302; vendors V1, V2).
func importFixtures(t *testing.T, dsn string, acceptance bool) {
	t.Helper()
	fx := func(name string) string { return filepath.Join("..", "..", "sql", "testdata", "catalog", name) }
	steps := [][]string{
		{"catalog", "import", fx("catalog.csv"), "--effective", "2026-01-01"},
		{"catalog", "adapt", fx("adaptations.csv")},
		{"org", "import", "--departments", fx("departments.csv"), "--projects", fx("projects.csv"), "--vendors", fx("vendors.csv")},
		{"orders", "import", fx("orders.csv")},
	}
	if acceptance {
		steps = append(steps, []string{"acceptance", "import", fx("acceptance.csv")})
	}
	for _, args := range steps {
		_, errOut, err := at(t, dsn, time.Now(), args...)
		require.NoError(t, err, errOut)
	}
}

var (
	dec1  = time.Date(2026, 12, 1, 2, 0, 0, 0, calendar.Shanghai())
	nov15 = time.Date(2026, 11, 15, 9, 30, 0, 0, calendar.Shanghai())
)

func TestCloseCommand(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, false) // no acceptance records: V1 and V2 pending

	t.Run("bad usage", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"close"}, "close: --period is required"},
			{[]string{"close", "--period", "2026/11"}, `close: --period "2026/11": want a month YYYY-MM`},
			{[]string{"close", "--period", "2026-11", "extra"}, `close: unexpected argument "extra"`},
		} {
			_, _, err := at(t, dsn, dec1, c.args...)
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err), "%v", c.args)
			assert.Contains(t, err.Error(), c.want)
		}
	})
	t.Run("refused on an unrated month", func(t *testing.T) {
		_, _, err := at(t, dsn, dec1, "close", "--period", "2026-11")
		require.Error(t, err)
		assert.ErrorIs(t, err, rating.ErrNotRated)
		assert.Equal(t, "close 2026-11: month not rated: rate it first (cloudbill rate --period 2026-11)", err.Error())
		assert.Equal(t, exitFailed, exitCode(err))
	})

	_, errOut, err := at(t, dsn, nov15, "rate", "--period", "2026-11")
	require.NoError(t, err, errOut)

	t.Run("refused before the month ends", func(t *testing.T) {
		_, _, err := at(t, dsn, nov15, "close", "--period", "2026-11")
		require.Error(t, err)
		assert.ErrorIs(t, err, monthclose.ErrNotEnded)
		assert.Equal(t, "close 2026-11: month not ended: it ends 2026-12-01 00:00 Asia/Shanghai", err.Error())
	})
	t.Run("refused on pending acceptance", func(t *testing.T) {
		_, _, err := at(t, dsn, dec1, "close", "--period", "2026-11")
		require.Error(t, err)
		assert.ErrorIs(t, err, monthclose.ErrPending)
		assert.Equal(t, "close 2026-11: acceptance pending for vendor V1, V2: import their acceptance records and re-rate, or close with --allow-pending", err.Error())
		assert.Equal(t, exitFailed, exitCode(err))
	})

	s, err := chstore.Open(context.Background(), mustDSN(t, dsn))
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	nov := calendar.MustPeriod("2026-11")
	run, err := s.LatestRun(ctx, nov)
	require.NoError(t, err)
	lines, err := s.RatedLines(ctx, nov)
	require.NoError(t, err)
	require.NotEmpty(t, lines)

	t.Run("allowed with --allow-pending, and recorded", func(t *testing.T) {
		out, errOut, err := at(t, dsn, dec1, "close", "--period", "2026-11", "--allow-pending")
		require.NoError(t, err, errOut)
		c, ok, err := s.CloseOf(ctx, nov)
		require.NoError(t, err)
		require.True(t, ok)
		assert.True(t, c.AllowPending)
		assert.Equal(t, []catalog.VendorID{"V1", "V2"}, c.Pending)
		assert.Equal(t, run.ID, c.RunID)
		assert.Equal(t, monthclose.ContentHash(lines), c.ContentHash)
		assert.Equal(t, dec1.UTC(), c.ClosedAt.UTC())
		assert.Equal(t, len(lines), c.Lines)
		assert.Equal(t, "cli", c.ClosedBy)
		assert.Contains(t, out, "closed 2026-11 at 2026-12-01 02:00:00 Asia/Shanghai: run "+run.ID)
		assert.Contains(t, out, "content hash "+c.ContentHash)
		assert.Contains(t, out, "closed with acceptance pending for V1, V2 (--allow-pending, recorded)")
	})
	t.Run("closing twice is a no-op", func(t *testing.T) {
		out, errOut, err := at(t, dsn, dec1.Add(24*time.Hour), "close", "--period", "2026-11")
		require.NoError(t, err, errOut)
		assert.Contains(t, out, "2026-11 is already closed (closed 2026-12-01 02:00:00 Asia/Shanghai, run "+run.ID)
		assert.Contains(t, out, "lines verified): nothing done")
		cs, err := s.Closes(ctx)
		require.NoError(t, err)
		assert.Len(t, cs, 1)
		var rows uint64
		require.NoError(t, chtest.Conn(t, s).QueryRow(ctx, "SELECT count() FROM period_closes").Scan(&rows))
		assert.Equal(t, uint64(1), rows, "nothing written")
	})
	t.Run("a closed month is not re-rated", func(t *testing.T) {
		_, _, err := at(t, dsn, dec1.Add(time.Hour), "rate", "--period", "2026-11")
		require.Error(t, err)
		assert.ErrorIs(t, err, rating.ErrPeriodClosed)
		assert.Contains(t, err.Error(), "month is closed")
		after, err := s.RatedLines(ctx, nov)
		require.NoError(t, err)
		assert.Equal(t, monthclose.ContentHash(lines), monthclose.ContentHash(after), "frozen lines unchanged")
	})
	t.Run("every close from the command line is audited, done or refused", func(t *testing.T) {
		evs, err := s.Audit(ctx, access.AuditFilter{Action: "close", Limit: 100})
		require.NoError(t, err)
		var got []string
		for _, e := range evs {
			assert.Equal(t, "cli", e.Actor)
			assert.Equal(t, "2026-11", e.Target)
			got = append(got, e.Outcome+" "+e.Detail)
		}
		// Newest first by each command's clock: the no-op, the close with pending
		// acceptance, then the three refusals (the bad-usage calls never reach the use case).
		require.Len(t, got, 5, "%q", got)
		assert.Equal(t, "ok close?already=1", got[0])
		assert.True(t, strings.HasPrefix(got[1], "ok close?hash="+monthclose.ContentHash(lines)+"&"), got[1])
		assert.Contains(t, got[1], "&pending=")
		assert.ElementsMatch(t, []string{
			"refused " + access.Details(access.DetailRefused, "reason", access.ReasonPending),
			"refused " + access.Details(access.DetailRefused, "reason", access.ReasonNotEnded),
			"refused " + access.Details(access.DetailRefused, "reason", access.ReasonNotRated),
		}, got[2:])
	})
}

func mustDSN(t *testing.T, dsn string) chstore.Config {
	cfg, err := chstore.ParseDSN(dsn)
	require.NoError(t, err)
	return cfg
}

func TestBreakdownCommand(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)

	t.Run("bad usage", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"breakdown", "--department", "D01"}, "breakdown: --period is required"},
			{[]string{"breakdown", "--period", "2026-11"}, "breakdown: --department is required"},
			{[]string{"breakdown", "--period", "2026-11", "--department", "D01", "--format", "xml"}, `breakdown: --format "xml": want table, csv or json`},
			{[]string{"breakdown", "--period", "2026-11", "--department", "D99"}, "breakdown: department D99: unknown department (import it with cloudbill org import)"},
		} {
			_, _, err := at(t, dsn, nov15, c.args...)
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err), "%v", c.args)
			assert.Contains(t, err.Error(), c.want)
		}
	})
	t.Run("a month never rated", func(t *testing.T) {
		_, _, err := at(t, dsn, nov15, "breakdown", "--period", "2026-11", "--department", "D01")
		require.Error(t, err)
		assert.Equal(t, "breakdown 2026-11: month not rated: rate it first (cloudbill rate --period 2026-11)", err.Error())
	})

	_, errOut, err := at(t, dsn, nov15, "rate", "--period", "2026-11")
	require.NoError(t, err, errOut)

	// WO-1 (D01, C01 at 40.00 a vCPU·month, extranet): 8 vCPU 1–9 November, 16 from the
	// 10th. On 15 November: 8 × 40 × 9/30 = 96.00 and 16 × 40 × 6/30 = 128.00.
	t.Run("open month: month to date", func(t *testing.T) {
		out, errOut, err := at(t, dsn, nov15, "breakdown", "--period", "2026-11", "--department", "D01", "--format", "json")
		require.NoError(t, err, errOut)
		var b struct {
			Status, Through, Total string
			MonthToDate            bool `json:"month_to_date"`
			Units                  []struct {
				Projects []struct {
					Orders []struct {
						ID    string `json:"order_id"`
						Lines []struct {
							Kind, From, To, Amount string
							Days                   int
							Daily                  []struct{ Date, Amount string }
						}
					}
				}
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out), &b))
		assert.Equal(t, "provisional", b.Status)
		assert.True(t, b.MonthToDate)
		assert.Equal(t, "2026-11-15", b.Through)
		require.Len(t, b.Units, 1)
		require.NotEmpty(t, b.Units[0].Projects)
		o := b.Units[0].Projects[0].Orders[0]
		require.Equal(t, "WO-1", o.ID)
		require.Len(t, o.Lines, 2)
		assert.Equal(t, []string{"2026-11-01", "2026-11-09", "96.00"}, []string{o.Lines[0].From, o.Lines[0].To, o.Lines[0].Amount})
		assert.Equal(t, []string{"2026-11-10", "2026-11-15", "128.00"}, []string{o.Lines[1].From, o.Lines[1].To, o.Lines[1].Amount})
		assert.Len(t, o.Lines[1].Daily, 6)
		assert.Equal(t, "224.00", b.Total, "no deduction for V1 (passed, 92.5, 99.97%)")
	})
	t.Run("subordinate units included; csv lines add up to the table total", func(t *testing.T) {
		table, errOut, err := at(t, dsn, dec1, "breakdown", "--period", "2026-11", "--department", "D03")
		require.NoError(t, err, errOut)
		assert.Contains(t, table, "Breakdown of D03 区教育局 for 2026-11: provisional (run ")
		assert.Contains(t, table, "Subordinate units included: D0301 区教育局 教育信息中心, D0302 区第一中学")
		assert.Contains(t, table, "== D0301 区教育局 教育信息中心: ")
		assert.Contains(t, table, "== D0302 区第一中学: ")

		out, errOut, err := at(t, dsn, dec1, "breakdown", "--period", "2026-11", "--department", "D03", "--format", "csv")
		require.NoError(t, err, errOut)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		require.NoError(t, err)
		require.Greater(t, len(rows), 1)
		col := map[string]int{}
		for i, c := range rows[0] {
			col[c] = i
		}
		sum := decimal.Zero
		deps := map[string]bool{}
		for _, r := range rows[1:] {
			if r[col["level"]] == "line" {
				sum = sum.Add(decimal.RequireFromString(r[col["amount"]]))
				deps[r[col["department_id"]]] = true
			}
		}
		assert.Equal(t, map[string]bool{"D0301": true, "D0302": true}, deps)
		total := table[strings.LastIndex(table, "Total 2026-11 ")+len("Total 2026-11 "):]
		total, _, _ = strings.Cut(total, "\n")
		assert.Equal(t, total, sum.StringFixed(2))

		// The same month's lines from the store, for the department's units.
		s, err := chstore.Open(context.Background(), mustDSN(t, dsn))
		require.NoError(t, err)
		defer s.Close()
		lines, err := s.RatedLines(context.Background(), calendar.MustPeriod("2026-11"))
		require.NoError(t, err)
		want := decimal.Zero
		for _, l := range lines {
			if l.Department == "D0301" || l.Department == "D0302" || l.Department == "D03" {
				want = want.Add(l.Amount)
			}
		}
		assert.Equal(t, want.StringFixed(2), sum.StringFixed(2), "the whole month once it has ended")
	})
}
