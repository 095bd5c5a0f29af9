package portal_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/metering/pull"
)

var (
	idleOnce                 sync.Once
	ownCase, foreignCase     idle.Case
	foreignOrder             catalog.OrderID
	idleErr                  error
	ownSaving, foreignSaving = decimal.RequireFromString("1234.56"), decimal.RequireFromString("4321.98")
)

// idleCases stores two cases by store inserts on the fixture's orders: an open one of
// the department account's 主管部门 and an overdue one of the foreign department (its
// order still at its full quantity, so it is on the downsizing list), with evidence.
func idleCases(t *testing.T, f *fixture) {
	t.Helper()
	idleOnce.Do(func() {
		ctx := context.Background()
		events, err := f.store.OrderEvents(ctx)
		if err != nil {
			idleErr = err
			return
		}
		today := calendar.LocalDate(time.Now())
		byOrder := map[catalog.OrderID][]catalog.Event{}
		catalog.SortEvents(events)
		for _, e := range events {
			byOrder[e.Order] = append(byOrder[e.Order], e)
		}
		pick := func(dep catalog.DepartmentID) (catalog.Event, bool) {
			for _, es := range byOrder {
				if es[0].Department == dep && idle.QuantityOn(es, today).GreaterThanOrEqual(decimal.NewFromInt(2)) {
					return es[len(es)-1], true
				}
			}
			return catalog.Event{}, false
		}
		own, ok1 := pick(f.depID)
		foreign, ok2 := pick(f.foreignDep)
		if !ok1 || !ok2 {
			idleErr = errNoOrder
			return
		}
		mk := func(e catalog.Event, rem calendar.Date, st idle.State, saving decimal.Decimal, idleRatio string) (idle.Case, idle.Evidence) {
			q := e.Quantity
			rec := decimal.NewFromInt(1)
			c := idle.Case{ID: idle.NewCaseID(rem, e.Department, idle.KindVCPU), Department: e.Department, Kind: idle.KindVCPU,
				Reminder: rem, Deadline: idle.Deadline(rem), Ratio: decimal.RequireFromString("0.2"), IdleRatio: decimal.RequireFromString(idleRatio),
				Allocated: q, Target: rec, Saving: saving, State: idle.StateOpen, StateOn: rem,
				Orders: []idle.CaseOrder{{Order: e.Order, Resource: e.ResourceID, Item: e.Item, Zone: e.Zone, Allocated: q, Recommended: rec, Saving: saving}}}
			row := idle.Row{Resource: idle.Resource{Order: e.Order, Resource: e.ResourceID, Department: e.Department, Kind: idle.KindVCPU, Item: e.Item, Zone: e.Zone, Allocated: q},
				Measure: idle.Measure{Days: 30, Samples: 8640}, Expected: 8640, P95Util: decimal.RequireFromString("7.5"), Used: q.Mul(decimal.RequireFromString("0.075")),
				Status: idle.StatusReduce, Recommended: rec, Saving: saving}
			g := idle.Group{Department: e.Department, Kind: idle.KindVCPU, Ratio: c.Ratio, Counted: 1, Allocated: q, Used: row.Used, IdleRatio: c.IdleRatio, Over: true, Saving: saving}
			return c, idle.Evidence{Case: c.ID, Analysis: rem, Group: g, Rows: []idle.Row{row}}
		}
		var e1, e2 idle.Evidence
		ownCase, e1 = mk(own, today.AddDays(-3), idle.StateOpen, ownSaving, "0.9275")
		foreignCase, e2 = mk(foreign, today.AddDays(-40), idle.StateOpen, foreignSaving, "0.8861")
		foreignOrder = foreign.Order
		now := time.Now()
		if idleErr = f.store.SaveCases(ctx, []idle.Case{ownCase, foreignCase}, now); idleErr != nil {
			return
		}
		if idleErr = f.store.SaveEvidence(ctx, []idle.Evidence{e1, e2}, now); idleErr != nil {
			return
		}
		// the foreign case passes its deadline without a change: overdue
		foreignCase.State, foreignCase.StateOn = idle.StateOverdue, foreignCase.Deadline.AddDays(1)
		idleErr = f.store.SaveStates(ctx, []idle.Case{foreignCase}, now.Add(time.Second))
	})
	require.NoError(t, idleErr)
}

var errNoOrder = errors.New("no running order of quantity ≥ 2 for the department account and the foreign department")

// TestIdlePages: a department sees its own case with its evidence and not a foreign one
// (nor any of its figures); a vendor sees nothing; the bureau sees every case, the
// overdue list and its change requests, and downloads them (audited).
func TestIdlePages(t *testing.T) {
	f := setup(t)
	idleCases(t, f)
	foreignMarks := []string{string(foreignCase.ID), "4,321.98", "4321.98", "88.6%", string(foreignOrder)}

	dep := f.signIn(t, f.dep)
	st, body := dep.get(t, "/idle")
	require.Equal(t, 200, st)
	assert.Contains(t, body, string(ownCase.ID))
	assert.Contains(t, body, "1,234.56")
	for _, m := range foreignMarks {
		assert.NotContains(t, body, m, "department's case list")
	}
	assert.NotContains(t, body, "idle-overdue", "the overdue list is the bureaus'")
	st, body = dep.get(t, "/idle/"+url.PathEscape(string(ownCase.ID)))
	require.Equal(t, 200, st)
	for _, want := range []string{"1,234.56", "92.8%", "20.0%", "7.5%", "待整改", ownCase.Deadline.String(), string(ownCase.Orders[0].Order), "8640 / 8640"} {
		assert.Contains(t, body, want, "own case page")
	}
	st, body = dep.get(t, "/idle/"+url.PathEscape(string(foreignCase.ID)))
	assert.Equal(t, http.StatusForbidden, st)
	for _, m := range foreignMarks[1:] {
		assert.NotContains(t, body, m, "foreign case page")
	}
	st, _ = dep.get(t, "/idle/overdue.csv")
	assert.Equal(t, http.StatusForbidden, st)
	// a case id naming the department but not stored: 404
	st, _ = dep.get(t, "/idle/20200101-"+url.PathEscape(string(f.depID))+"-memory")
	assert.Equal(t, http.StatusNotFound, st)
	st, _ = dep.get(t, "/idle/not-a-case")
	assert.Equal(t, http.StatusBadRequest, st)

	ven := f.signIn(t, f.ven)
	st, body = ven.get(t, "/idle")
	assert.Equal(t, http.StatusForbidden, st)
	assert.NotContains(t, body, "1,234.56")

	bur := f.signIn(t, f.bur)
	st, body = bur.get(t, "/idle")
	require.Equal(t, 200, st)
	assert.Contains(t, body, string(ownCase.ID))
	assert.Contains(t, body, `id="idle-overdue"`)
	assert.Contains(t, body, "逾期（列入缩容清单）")
	assert.Contains(t, body, string(foreignOrder), "the change request of the overdue case")
	res, err := bur.Get(bur.base + "/idle/overdue.csv")
	require.NoError(t, err)
	csvBody := readBody(t, res)
	require.Equal(t, 200, res.StatusCode)
	assert.Contains(t, csvBody, string(foreignOrder))
	assert.NotContains(t, csvBody, string(ownCase.Orders[0].Order), "an open case is not on the downsizing list")
	fin := f.signIn(t, f.fin)
	st, body = fin.get(t, "/idle/"+url.PathEscape(string(foreignCase.ID)))
	require.Equal(t, 200, st)
	assert.Contains(t, body, "4,321.98")
}

// TestCollectionPage: on a small record (one vendor mapping of 1-hour windows starting
// 2026-09-30 20:00 Asia/Shanghai: 4 windows due in September, 2 collected, 1 partial,
// 1 failed) the bureau sees expected 4 vs collected 3 (1 partial, 1 failed, 1
// missing); the vendor sees its own; a department nothing.
func TestCollectionPage(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	sep := calendar.MustPeriod("2026-09")
	start := time.Date(2026, 9, 30, 20, 0, 0, 0, calendar.Shanghai())
	vendor := string(f.venID)
	require.NoError(t, f.store.SaveMappings(ctx, []pull.MappingRecord{{Vendor: vendor, Metric: "cpu_util", Query: "avg_over_time(x[1h])",
		ResourceLabel: "instance", Window: time.Hour, Lateness: time.Minute, Start: start, File: "test.yaml", At: time.Now()}}))
	var ws []pull.Window
	for i, stat := range []pull.Status{pull.Collected, pull.Collected, pull.Partial, pull.Failed} {
		from := start.Add(time.Duration(i) * time.Hour)
		w := pull.Window{Vendor: vendor, Metric: "cpu_util", Start: from, End: from.Add(time.Hour), Status: stat, Series: 3, Samples: 3, Trigger: "test", At: time.Now()}
		if stat == pull.Failed {
			w.Series, w.Samples, w.Error = 0, 0, "connection refused"
		}
		ws = append(ws, w)
	}
	require.NoError(t, f.store.RecordWindows(ctx, ws))

	bur := f.signIn(t, f.bur)
	st, body := bur.get(t, "/collection/"+sep.String())
	require.Equal(t, 200, st)
	row := `<td class="num">4</td><td class="num">3</td><td class="num">1</td><td class="num">1</td><td class="num">1</td>`
	assert.Contains(t, body, row, "expected 4, collected 3, partial 1, failed 1, missing 1")
	assert.Contains(t, body, "2026-09-30 23:00", "the missing range")
	assert.Contains(t, body, "缺失窗口共 1 个")

	ven := f.signIn(t, f.ven)
	st, body = ven.get(t, "/vendors/"+url.PathEscape(vendor)+"/collection/"+sep.String())
	require.Equal(t, 200, st)
	assert.Contains(t, body, row)
	st, _ = ven.get(t, "/collection/"+sep.String())
	assert.Equal(t, http.StatusForbidden, st)
	st, _ = ven.get(t, "/vendors/"+url.PathEscape(string(f.foreignVen))+"/collection/"+sep.String())
	assert.Equal(t, http.StatusForbidden, st)

	dep := f.signIn(t, f.dep)
	st, body = dep.get(t, "/collection/"+sep.String())
	assert.Equal(t, http.StatusForbidden, st)
	assert.NotContains(t, body, row)
}
