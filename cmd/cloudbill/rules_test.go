package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/sql"
)

// lenient deducts nothing whatever the acceptance result.
const lenient = "group,threshold,rate_percent\nresult,passed,0\nresult,deferred,0\nresult,failed,0\nscore,0,0\navailability,0,0\ncap,,0\n"

// kindSum sums the month's rated lines of kind.
func kindSum(t *testing.T, s *chstore.Store, p calendar.Period, kind rating.Kind) (decimal.Decimal, int) {
	t.Helper()
	ls, err := s.RatedLines(context.Background(), p)
	require.NoError(t, err)
	sum, n := decimal.Zero, 0
	for _, l := range ls {
		if l.Kind == kind {
			sum, n = sum.Add(l.Amount), n+1
		}
	}
	return sum, n
}

// Deduction rules are stored configuration: rating reads the version in force for the
// month (defaults before any), a closed month cannot get new rules, and re-rating a
// closed month whose rules changed afterwards books no deduction difference.
func TestRulesStoredAndClosedMonthsKeepTheirs(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true) // V2 deferred in November: the defaults deduct 15 %
	cfg, err := chstore.ParseDSN(dsn)
	require.NoError(t, err)
	s, err := chstore.Open(context.Background(), cfg)
	require.NoError(t, err)
	defer s.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "lenient.csv")
	require.NoError(t, os.WriteFile(file, []byte(lenient), 0o644))
	dec2 := dec1.Add(24 * time.Hour)
	nov, decm := calendar.MustPeriod("2026-11"), calendar.MustPeriod("2026-12")

	out, errOut, err := at(t, dsn, dec1, "rules", "show", "--period", "2026-11")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "built-in defaults")

	_, errOut, err = at(t, dsn, dec1, "rate", "--period", "2026-11")
	require.NoError(t, err, errOut)
	novDed, n := kindSum(t, s, nov, rating.KindDeduction)
	require.NotZero(t, n)
	require.True(t, novDed.IsNegative(), "the defaults deduct from V2: %s", novDed)
	_, errOut, err = at(t, dsn, dec1, "close", "--period", "2026-11")
	require.NoError(t, err, errOut)

	t.Run("a closed month takes no new rules", func(t *testing.T) {
		_, errOut, err := at(t, dsn, dec2, "rules", "import", file, "--effective", "2026-11")
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.Contains(t, errOut, "文件 "+file+" 未受理，未存储任何内容：共 1 处错误：\n  文件 "+file+"：规则不能自 2026-11 起生效：2026-11 已结账，其验收扣减已冻结；新规则最早可自 2026-12 起生效\n")
	})

	out, errOut, err = at(t, dsn, dec2, "rules", "import", file, "--effective", "2026-12")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "rules in force from 2026-12 stored as import rules-")
	out, errOut, err = at(t, dsn, dec2, "rules", "import", file, "--effective", "2026-12")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "nothing stored", "the same rules again change nothing")

	// The old way's hazard: the rules of the closed month itself changed after its close
	// (stored behind the CLI's back). Re-rating it for adjustments uses the rules as of
	// its close.
	changed, err := rating.ReadRulesVersion("changed.csv", strings.NewReader(lenient), nov)
	require.NoError(t, err)
	changed.ImportID, changed.ImportedAt = "rules-after-close", dec2.Add(time.Hour)
	require.NoError(t, s.SaveRules(context.Background(), changed, "changed.csv", "x", changed.CSV()))

	acc := filepath.Join(dir, "acceptance-dec.csv")
	require.NoError(t, os.WriteFile(acc, []byte("vendor_id,period,result,score,availability,security_valid_until\n"+
		"V1,2026-12,deferred,70,99,2027-12-31\nV2,2026-12,failed,50,90,2027-12-31\n"), 0o644))
	_, errOut, err = at(t, dsn, dec2, "acceptance", "import", acc)
	require.NoError(t, err, errOut)
	out, errOut, err = at(t, dsn, dec2.Add(2*time.Hour), "rate", "--period", "2026-12")
	require.NoError(t, err, out+errOut)
	adj, nAdj := kindSum(t, s, decm, rating.KindAdjustment)
	assert.Zero(t, nAdj, "no adjustment for the closed month (got %s)", adj)
	decDed, _ := kindSum(t, s, decm, rating.KindDeduction)
	assert.True(t, decDed.IsZero(), "December is rated with the lenient version in force: %s", decDed)

	out, errOut, err = at(t, dsn, dec2, "rules", "show", "--period", "2026-11")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "the rules as of its close")
	assert.Contains(t, out, "built-in defaults")
	out, errOut, err = at(t, dsn, dec2, "rules", "show", "--period", "2026-12", "--format", "csv")
	require.NoError(t, err, errOut)
	back, err := rating.ReadRulesVersion("shown.csv", strings.NewReader(out), decm)
	require.NoError(t, err, "rules show --format csv reads back")
	want, err := rating.ReadRulesVersion("lenient.csv", strings.NewReader(lenient), decm)
	require.NoError(t, err)
	assert.Equal(t, string(want.CSV()), string(back.CSV()))
}

func TestRulesCommandErrors(t *testing.T) {
	dsn := catalogDSN(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "rules.csv")
	require.NoError(t, os.WriteFile(bad, []byte("group,threshold,rate_percent\ncap,,500\n"), 0o644))
	other := filepath.Join(dir, "other.csv")
	require.NoError(t, os.WriteFile(other, []byte("effective,group,threshold,rate_percent\n2026-10,cap,,5\n"), 0o644))
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no effective", []string{"rules", "import", bad}, "--effective is required"},
		{"bad rate", []string{"rules", "import", bad, "--effective", "2027-01"}, "rules.csv 未受理，未存储任何内容：共 1 处错误："},
		{"other month in the file", []string{"rules", "import", other, "--effective", "2027-01"}, "other.csv 未受理"},
		{"rate --rules is gone", []string{"rate", "--period", "2026-11", "--rules", bad}, "cloudbill rules import FILE --effective YYYY-MM"},
		{"csv needs a month", []string{"rules", "show", "--format", "csv"}, "give --period"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, err := at(t, dsn, dec1, c.args...)
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err))
			assert.Contains(t, err.Error()+errOut, c.want)
		})
	}
	_, errOut, _ := at(t, dsn, dec1, "rules", "import", bad, "--effective", "2027-01")
	assert.Contains(t, errOut, "rules.csv 第 2 行（月份 2027-01，分组 cap），列 “rate_percent”：扣减比例“500”不是 0～100 之间的百分数")
	_, errOut, _ = at(t, dsn, dec1, "rules", "import", other, "--effective", "2027-01")
	assert.Contains(t, errOut, "other.csv 第 2 行（月份 2026-10，分组 cap），列 “effective”：按 2027-01 生效导入的文件中有 2026-10 的规则：一次导入一个版本（请留空或填写 2027-01）")
}
