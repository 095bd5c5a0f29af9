package breakdown

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

func TestCompare(t *testing.T) {
	org, lines := sample()
	cat, _ := fakeReader{}.Catalog(t.Context())
	// October: o1 cost 150.00 instead of 200.00, and no deduction
	var oct []rating.Line
	for _, l := range lines {
		switch {
		case l.Kind == rating.KindDeduction:
			continue
		case l.Order == "o1":
			l.Amount = dec("150.00")
		}
		l.Period = calendar.MustPeriod("2026-10")
		oct = append(oct, l)
	}
	c := Compare(CompareInput{Period: nov, Department: "d1", Org: org, Catalog: cat, Current: lines, Previous: oct, HasPrevious: true})
	// November 389.50 (as the breakdown); October 389.50 − 50.00 + 13.50 = 353.00
	assert.Equal(t, "389.5", c.Total.Current.String())
	assert.Equal(t, "353", c.Total.Previous.String())
	assert.Equal(t, "36.5", c.Total.MoM().String())
	p, ok := c.Total.MoMPct()
	require.True(t, ok)
	assert.Equal(t, "0.1034", p.String(), "36.50 / 353.00")
	_, ok = c.Total.YoYPct()
	assert.False(t, ok, "no month a year before: no percentage")
	assert.Equal(t, "2025-11", c.LastYear.String())
	byKey := func(cs []Change, key string) Change {
		for _, x := range cs {
			if x.Key == key {
				return x
			}
		}
		t.Fatalf("no row %s", key)
		return Change{}
	}
	assert.Equal(t, "50", byKey(c.Projects, "p1").MoM().String(), "project p1: o1 +50.00, o2 unchanged")
	assert.Equal(t, "验收扣减", byKey(c.Projects, "").Name)
	assert.Equal(t, "-13.5", byKey(c.Kinds, "deduction").MoM().String())
	assert.Equal(t, "云服务器 2核4G", byKey(c.Items, "ECS-2C4G/charge").Name)
	assert.Len(t, c.Units, 3, "d1 and its units; d2 is not in")
	assert.Equal(t, "d1", c.Units[0].Key, "largest first")
}
