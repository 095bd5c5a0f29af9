package breakdown

import (
	"testing"

	"github.com/shopspring/decimal"
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
	assert.Equal(t, "ECS-2C4G · 资源费用", byKey(c.Items, "ECS-2C4G/charge").Code, "the code as the statements print it, the kind by its name")
	assert.Equal(t, "验收扣减", byKey(c.Items, "/deduction").Name)
	assert.Empty(t, byKey(c.Items, "/deduction").Code, "a deduction has no item code")
	assert.Equal(t, "p1", byKey(c.Projects, "p1").Code)
	assert.Nil(t, c.Heads, "a department's comparison has no 主管部门 rows")
	assert.Len(t, c.Units, 3, "d1 and its units; d2 is not in")
	assert.Equal(t, "d1", c.Units[0].Key, "largest first")
}

// TestCompareDistrict: the district's comparison counts every department, by 主管部门
// (a unit's figures under its top department), department, vendor, item and kind; each
// section adds up to the total; an item row is named, its code read "CODE · kind name".
func TestCompareDistrict(t *testing.T) {
	org, lines := sample()
	cat, _ := fakeReader{}.Catalog(t.Context())
	c := Compare(CompareInput{Period: nov, Org: org, Catalog: cat, Current: lines})
	all := decimal.Zero
	for _, l := range lines {
		all = all.Add(l.Amount)
	}
	assert.Equal(t, all.String(), c.Total.Current.String())
	assert.Equal(t, "全区", c.Total.Name)
	assert.Nil(t, c.Projects, "no projects district-wide")
	require.Len(t, c.Heads, 2, "d1 (with d1a, d1a1) and d2")
	assert.Equal(t, []string{"d2", "d1"}, []string{c.Heads[0].Key, c.Heads[1].Key}, "largest first")
	assert.Equal(t, "区大数据发展局", c.Heads[1].Name)
	d1 := decimal.Zero
	for _, l := range lines {
		if l.Department != "d2" {
			d1 = d1.Add(l.Amount)
		}
	}
	assert.Equal(t, d1.String(), c.Heads[1].Current.String(), "d1 with its units")
	assert.Len(t, c.Units, 4)
	for name, rows := range map[string][]Change{"heads": c.Heads, "units": c.Units, "vendors": c.Vendors, "items": c.Items, "kinds": c.Kinds} {
		sum := decimal.Zero
		for _, r := range rows {
			sum = sum.Add(r.Current)
		}
		assert.Equal(t, all.String(), sum.String(), "%s add up to the total", name)
	}
	for _, r := range c.Items {
		assert.NotContains(t, r.Code, "/", "item %s: no CODE/kind", r.Key)
		assert.NotContains(t, r.Name, "/")
	}
	for _, r := range c.Kinds {
		assert.Empty(t, r.Code, "kind %s: named, no code", r.Key)
	}
	assert.Equal(t, "d1", string(Head(org, "d1a1")))
	assert.Equal(t, "d2", string(Head(org, "d2")))
}
