package portal_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/money"
	"cloudbill/statements/breakdown"
)

type ordersAnswer struct {
	Period string `json:"period"`
	Rated  bool   `json:"rated"`
	Total  int    `json:"total"`
	Page   int    `json:"page"`
	Pages  int    `json:"pages"`
	Amount string `json:"amount"`
	Orders []struct {
		Order      string `json:"order_id"`
		Department string `json:"department_id"`
		Vendor     string `json:"vendor_id"`
		Item       string `json:"item_code"`
		ItemName   string `json:"item_name"`
		Zone       string `json:"zone"`
		ZoneName   string `json:"zone_name"`
		State      string `json:"state"`
		StateName  string `json:"state_name"`
		Amount     string `json:"amount"`
		URL        string `json:"url"`
	} `json:"orders"`
}

// TestOrderList: the work-order list in the month holds the orders of the account's
// scope, each with the amount its lines have on the issued statement; filters by
// number, vendor, item, zone and state narrow it; sorting by amount orders it; pages of
// 50 with the total; the .xlsx and the CSV (with a BOM) carry Chinese headers and a 合计
// equal to the statement's order lines; a vendor sees only its orders; bad input is a
// clear 400.
func TestOrderList(t *testing.T) {
	f := setup(t)
	dep := f.signIn(t, f.dep)
	units := map[string]bool{}
	for _, u := range breakdown.Units(f.org, f.depID) {
		units[string(u)] = true
	}
	// the statement's amounts by order (the department's statement holds its units)
	want := map[string]decimal.Decimal{}
	wantTotal := decimal.Zero
	for _, r := range f.statementCSV("departments", string(f.depID)) {
		if r["order_id"] == "" {
			continue
		}
		a := decimal.RequireFromString(r["amount"])
		want[r["order_id"]] = want[r["order_id"]].Add(a)
		wantTotal = wantTotal.Add(a)
	}
	require.NotEmpty(t, want)

	base := "/api/v1/orders?period=" + period.String()
	var all ordersAnswer
	getJSON(t, dep, base, &all)
	assert.True(t, all.Rated)
	assert.Equal(t, money.Plain(wantTotal), all.Amount, "the list's amount = the statement's order lines")
	got := map[string]string{}
	for page := 1; page <= all.Pages; page++ {
		var a ordersAnswer
		getJSON(t, dep, base+"&page="+strconv.Itoa(page), &a)
		assert.LessOrEqual(t, len(a.Orders), 50)
		for _, o := range a.Orders {
			assert.True(t, units[o.Department], "order %s of %s: in scope", o.Order, o.Department)
			assert.NotEmpty(t, o.StateName)
			assert.NotEqual(t, o.Zone, o.ZoneName, "the zone by name")
			got[o.Order] = o.Amount
		}
	}
	assert.Len(t, got, all.Total, "every page, each order once")
	for o, a := range want {
		assert.Equal(t, money.Plain(a), got[o], "order %s: list vs statement", o)
	}

	// find one order by its number; filter by its vendor, item, zone and state
	var one ordersAnswer
	var some string
	for o := range want {
		some = o
		break
	}
	getJSON(t, dep, base+"&q="+url.QueryEscape(strings.ToLower(some)), &one)
	require.NotEmpty(t, one.Orders)
	assert.Equal(t, some, one.Orders[0].Order)
	o := one.Orders[0]
	var narrowed ordersAnswer
	getJSON(t, dep, base+"&vendor="+url.QueryEscape(o.Vendor)+"&item="+url.QueryEscape(o.Item)+"&zone="+url.QueryEscape(o.Zone)+"&state="+o.State, &narrowed)
	assert.NotZero(t, narrowed.Total)
	assert.LessOrEqual(t, narrowed.Total, all.Total)
	for _, x := range narrowed.Orders {
		assert.Equal(t, []string{o.Vendor, o.Item, o.Zone, o.State}, []string{x.Vendor, x.Item, x.Zone, x.State})
	}
	var byUnit ordersAnswer
	getJSON(t, dep, base+"&department="+url.QueryEscape(string(f.unitID)), &byUnit)
	unitOnly := map[string]bool{}
	for _, u := range breakdown.Units(f.org, f.unitID) {
		unitOnly[string(u)] = true
	}
	assert.Less(t, byUnit.Total, all.Total, "a unit's orders are some of its 主管部门's")
	for _, x := range byUnit.Orders {
		assert.True(t, unitOnly[x.Department], "order %s of %s: of the unit chosen", x.Order, x.Department)
	}
	// sorted by amount, largest first
	var sorted ordersAnswer
	getJSON(t, dep, base+"&sort=amount&dir=desc", &sorted)
	for i := 1; i < len(sorted.Orders); i++ {
		assert.False(t, mustDec(t, sorted.Orders[i].Amount).GreaterThan(mustDec(t, sorted.Orders[i-1].Amount)), "amounts descending")
	}

	// take it away: xlsx and CSV with a BOM, the whole list
	_, body := download(t, dep, base+"&format=xlsx")
	total, header := xlsxTotal(t, body, "工单", 15)
	assert.True(t, wantTotal.Equal(total), "xlsx 合计 %s, statement %s", total, wantTotal)
	assert.Equal(t, "工单", header[0])
	assert.Equal(t, "金额（元）", header[15])
	ctype, c := download(t, dep, base+"&format=csv&bom=1")
	assert.Equal(t, "text/csv; charset=utf-8", ctype)
	require.True(t, bytes.HasPrefix(c, []byte("\uFEFF")), "a byte-order mark for Excel")
	rows, err := csv.NewReader(bytes.NewReader(c[3:])).ReadAll()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(rows), 3)
	assert.Equal(t, "合计", rows[len(rows)-1][0])
	assert.Equal(t, wantTotal.StringFixed(2), rows[len(rows)-1][15])
	assert.Len(t, rows, all.Total+2, "header, every order, 合计")
	assert.Equal(t, "工单", rows[0][0], "Chinese headers")

	// the page: 共 N 条, the search form, export links
	status, page := dep.get(t, "/orders?period="+period.String())
	require.Equal(t, 200, status)
	assert.Contains(t, page, "共 "+strconv.Itoa(all.Total)+" 条")
	assert.Contains(t, page, `id="orders-xlsx"`)
	assert.Contains(t, page, `href="/orders"`, "in the menu")

	// a vendor: its own orders only
	ven := f.signIn(t, f.ven)
	var vo ordersAnswer
	getJSON(t, ven, base+"&period=all", &vo)
	require.NotZero(t, vo.Total)
	for _, x := range vo.Orders {
		assert.Equal(t, string(f.venID), x.Vendor)
	}

	// bad input: named, 400
	for _, q := range []string{"sort=price", "dir=up", "period=2026-13", "state=gone"} {
		status, body := dep.get(t, "/api/v1/orders?"+q)
		assert.Equal(t, 400, status, q)
		assert.Contains(t, body, "请求有误", q)
	}
}

// TestBrowserOrders: a department opens 工单 from the menu, finds an order by its number
// and follows it to its lines; the list at 1366×768 and 390×844.
func TestBrowserOrders(t *testing.T) {
	f := setup(t)
	var some string
	for _, r := range f.statementCSV("departments", string(f.depID)) {
		if r["order_id"] != "" {
			some = r["order_id"]
			break
		}
	}
	require.NotEmpty(t, some)
	ctx := tab(t)
	browserSignIn(t, ctx, f, f.dep)
	require.NoError(t, chromedp.Run(ctx, chromedp.Click(`header nav a[href="/orders"]`, chromedp.ByQuery)))
	waitFor(t, ctx, "#orders")
	viewShot(t, ctx, "orders-desktop")
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys("#order-q", some, chromedp.ByID),
		chromedp.Click("#order-go", chromedp.ByID)))
	// the filtered page (its search box holds the number as sent; the first page may show
	// the same order, so its row alone does not say the new page is there)
	waitFor(t, ctx, `#order-q[value="`+some+`"]`)
	waitFor(t, ctx, `[id="order-`+some+`"]`)
	assert.Contains(t, text(t, ctx, "nav.pager"), "共 1 条")
	viewShot(t, ctx, "orders-found-desktop")
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(390, 844)))
	viewShot(t, ctx, "orders-found-phone")
	require.NoError(t, chromedp.Run(ctx, chromedp.Click(`[id="order-`+some+`"] a`, chromedp.ByQuery)))
	waitFor(t, ctx, "#level-items")
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(1366, 768)))
}

// TestOrderListMonthDepartment: the list of a month shows each order as it stood in that
// month: an order moved to another department in a later month is listed, in the month,
// under the department it had then (with its amount of the month), and under its new
// department only from the move on.
func TestOrderListMonthDepartment(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	fin := f.signIn(t, f.fin)
	// an order in service in the month, of a department outside the other tests' accounts,
	// and a department to move it to (neither one a unit of the other)
	away := map[catalog.DepartmentID]bool{}
	for _, d := range []catalog.DepartmentID{f.depID, f.foreignDep} {
		for _, u := range breakdown.Units(f.org, d) {
			away[u] = true
		}
	}
	evs, err := f.store.OrderEvents(ctx)
	require.NoError(t, err)
	var moved catalog.OrderSummary
	for _, o := range catalog.Orders(evs) {
		if !away[o.Department] && o.Terminated.IsZero() && o.InService(period.First(), period.Last()) {
			moved = o
			break
		}
	}
	require.NotEmpty(t, moved.Order)
	from := moved.Department
	var to catalog.DepartmentID
	for id := range f.org.Departments {
		if away[id] || id == from || slices.Contains(breakdown.Units(f.org, id), from) || slices.Contains(breakdown.Units(f.org, from), id) {
			continue
		}
		to = id
		break
	}
	require.NotEmpty(t, to)

	q := "/api/v1/orders?q=" + url.QueryEscape(string(moved.Order))
	var before ordersAnswer
	getJSON(t, fin, q+"&period="+period.String(), &before)
	require.Len(t, before.Orders, 1)
	require.Equal(t, string(from), before.Orders[0].Department)

	// moved on the 5th of the next month
	cfg := moved.Config
	cfg.Department = to
	ev := catalog.Event{Order: moved.Order, Kind: catalog.EventChange, Effective: period.Next().First().AddDays(4), Config: cfg}
	require.NoError(t, f.store.InsertEvents(ctx, catalog.Import{ID: "test-move-" + string(moved.Order), Kind: "orders", File: "move.csv", Rows: 1, At: time.Now()}, []catalog.Event{ev}))

	// now (every month): under its new department, once the portal has read the events again
	var now ordersAnswer
	require.Eventually(t, func() bool {
		getJSON(t, fin, q+"&period=all", &now)
		return len(now.Orders) == 1 && now.Orders[0].Department == string(to)
	}, 3*time.Minute, 500*time.Millisecond, "the move shows in the list of every month")

	// the month: under the department it had then, with the same amount
	var after ordersAnswer
	getJSON(t, fin, q+"&period="+period.String(), &after)
	require.Len(t, after.Orders, 1)
	assert.Equal(t, string(from), after.Orders[0].Department, "the department it had in the month")
	assert.Equal(t, before.Orders[0].Amount, after.Orders[0].Amount)
	for dep, n := range map[catalog.DepartmentID]int{from: 1, to: 0} {
		var a ordersAnswer
		getJSON(t, fin, q+"&period="+period.String()+"&department="+url.QueryEscape(string(dep)), &a)
		assert.Len(t, a.Orders, n, "filtered by %s in the month", dep)
	}
	status, page := fin.get(t, "/orders?period="+period.String()+"&q="+url.QueryEscape(string(moved.Order)))
	require.Equal(t, 200, status)
	assert.Contains(t, page, `<div class="muted">`+string(from)+`</div>`)
	assert.NotContains(t, page, `<div class="muted">`+string(to)+`</div>`)
}
