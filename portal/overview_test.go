package portal_test

import (
	"regexp"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/money"
)

var latestTotalRE = regexp.MustCompile(`id="latest-total">([^<]*)<`)

// The overview's latest month (the trend's point, rating.NetOfParties over what
// access.Identity.SeesCharge keeps) is, for each account, the total of what it sees on
// the issued statements: a 主管部门 its statement (its units' lines included), a unit its
// own, a vendor its settlement, finance and the bureau the district's (every vendor's).
func TestOverviewLatestIsWhatEachSees(t *testing.T) {
	f := setup(t)
	deps, vendors := f.statementTotals("departments"), f.statementTotals("vendors")
	district := decimal.Zero // every line is of one vendor
	for _, v := range vendors {
		district = district.Add(v)
	}
	for _, c := range []struct {
		login string
		want  decimal.Decimal
	}{
		{f.dep, deps[string(f.depID)]},
		{f.unit, deps[string(f.unitID)]},
		{f.ven, vendors[string(f.venID)]},
		{f.fin, district},
		{f.bur, district},
	} {
		status, body := f.signIn(t, c.login).get(t, "/")
		require.Equal(t, 200, status, c.login)
		m := latestTotalRE.FindStringSubmatch(body)
		require.NotNil(t, m, "%s: the overview shows the latest month", c.login)
		assert.Equal(t, money.Grouped(money.Round(c.want)), m[1], "%s: the latest month's total", c.login)
	}
}
