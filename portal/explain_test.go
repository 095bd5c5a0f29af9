package portal_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/money"
)

type apiBreakdownLine struct {
	ID          string   `json:"line_id"`
	Department  string   `json:"department_id"`
	Kind        string   `json:"kind"`
	ItemName    string   `json:"item_name"`
	VendorName  string   `json:"vendor_name"`
	ZoneName    string   `json:"zone_name"`
	Zone        string   `json:"zone"`
	Amount      string   `json:"amount"`
	UnitPrice   string   `json:"unit_price"`
	Explanation string   `json:"explanation"`
	URL         string   `json:"url"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	Days        int      `json:"days"`
	Daily       []string `json:"daily"`
}

type apiBreakdownBody struct {
	Total string             `json:"total"`
	Lines []apiBreakdownLine `json:"lines"`
}

// breakdowns reads the API breakdown of every top-level department as finance: the
// answers by department, and each answer's size in bytes.
func breakdowns(t *testing.T, f *fixture) (map[string]apiBreakdownBody, map[string]int) {
	t.Helper()
	fin := f.signIn(t, f.fin)
	out, size := map[string]apiBreakdownBody{}, map[string]int{}
	for id, d := range f.org.Departments {
		if d.Parent != "" {
			continue
		}
		status, body := fin.get(t, "/api/v1/breakdown?period="+period.String()+"&department="+url.QueryEscape(string(id)))
		require.Equal(t, 200, status, body)
		var b apiBreakdownBody
		require.NoError(t, json.Unmarshal([]byte(body), &b))
		out[string(id)], size[string(id)] = b, len(body)
	}
	return out, size
}

// TestAPIBreakdownExplains: every line of the JSON breakdown carries Chinese names and a
// calculation true for its kind; money is a string with two decimals, prices have at
// least two, daily amounts a fixed scale; lines are listed once.
func TestAPIBreakdownExplains(t *testing.T) {
	f := setup(t)
	all, size := breakdowns(t, f)
	twoDecimals := regexp.MustCompile(`^-?\d+\.\d{2}$`)
	price := regexp.MustCompile(`^-?\d+\.\d{2,}$`)
	day := regexp.MustCompile(`^-?\d+\.\d{8}$`)
	kinds := map[string]int{}
	largest, ids := "", map[string]bool{}
	for dep, b := range all {
		if largest == "" || size[dep] > size[largest] || (size[dep] == size[largest] && dep < largest) {
			largest = dep
		}
		assert.Regexp(t, twoDecimals, b.Total)
		for _, l := range b.Lines {
			kinds[l.Kind]++
			assert.Regexp(t, twoDecimals, l.Amount, "%s line %s", dep, l.ID)
			assert.NotEmpty(t, l.VendorName, "%s line %s", dep, l.ID)
			assert.NotEmpty(t, l.Explanation, "%s line %s", dep, l.ID)
			assert.False(t, ids[dep+"/"+l.ID], "line %s listed twice", l.ID)
			ids[dep+"/"+l.ID] = true
			assert.True(t, strings.HasPrefix(l.URL, "/departments/"+url.PathEscape(dep)+"/"+period.String()+"?unit="), l.URL)
			if l.Zone != "" {
				assert.NotEqual(t, l.Zone, l.ZoneName, "zone %s has a Chinese name", l.Zone)
			}
			for _, d := range l.Daily {
				assert.Regexp(t, day, d)
			}
			if len(l.Daily) > 0 {
				assert.Len(t, l.Daily, l.Days, "one amount a day from %s to %s", l.From, l.To)
			}
			switch l.Kind {
			case "charge":
				assert.NotEmpty(t, l.ItemName)
				assert.Regexp(t, price, l.UnitPrice)
				assert.Contains(t, l.Explanation, "÷ 当月天数")
				assert.NotEmpty(t, l.Daily)
			case "metered":
				assert.NotEmpty(t, l.ItemName)
				assert.True(t, strings.HasPrefix(l.Explanation, "用量 "), l.Explanation)
				assert.Contains(t, l.Explanation, "× 单价")
				assert.NotContains(t, l.Explanation, "当月天数", "a metered charge is not prorated")
				assert.Empty(t, l.Daily, "a metered line is not an even split of days")
			case "deduction":
				assert.Contains(t, l.Explanation, "封顶")
				assert.Regexp(t, `按本单位(\S+类)?应收 [0-9,]+\.\d{2} 元分摊|待验收`, l.Explanation)
			}
		}
	}
	for _, k := range []string{"charge", "metered", "deduction"} {
		require.NotZero(t, kinds[k], "the fixture has %s lines", k)
	}
	t.Logf("JSON breakdown of the largest department %s: %d bytes, %d lines", largest, size[largest], len(all[largest].Lines))

	// errors: one language, a machine-readable code
	fin := f.signIn(t, f.fin)
	status, body := fin.get(t, "/api/v1/breakdown?period=2019-01&department="+url.QueryEscape(string(f.depID)))
	assert.Equal(t, 404, status)
	var e struct{ Code, Error string }
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	assert.Equal(t, "not_rated", e.Code)
	assert.Equal(t, "2019-01 尚未计费。", e.Error)
	status, body = fin.get(t, "/api/v1/breakdown?period="+period.String()+"&department=NO-SUCH")
	assert.Equal(t, 404, status)
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	assert.Equal(t, "unknown_department", e.Code)
}

// TestAPIIdleCases: the idle cases as JSON, in scope, filtered by state.
func TestAPIIdleCases(t *testing.T) {
	f := setup(t)
	type cases struct {
		Cases []struct {
			ID, State, StateName string
			Department           string `json:"department_id"`
			Saving               string `json:"monthly_saving"`
		} `json:"cases"`
	}
	var all, open cases
	fin := f.signIn(t, f.fin)
	getJSON(t, fin, "/api/v1/idle/cases", &all)
	getJSON(t, fin, "/api/v1/idle/cases?state=open", &open)
	for _, c := range open.Cases {
		assert.Equal(t, "open", c.State)
		assert.Equal(t, "待整改", c.StateName)
	}
	assert.LessOrEqual(t, len(open.Cases), len(all.Cases))
	var mine cases
	getJSON(t, f.signIn(t, f.dep), "/api/v1/idle/cases", &mine)
	for _, c := range mine.Cases {
		assert.Contains(t, []string{string(f.depID), string(f.unitID)}, c.Department, "a department sees its own cases only")
	}
	status, body := fin.get(t, "/api/v1/idle/cases?state=sleeping")
	assert.Equal(t, 400, status)
	assert.Contains(t, body, `"code":"bad_state"`)
	var col struct {
		Period   string `json:"period"`
		Mappings []any  `json:"mappings"`
	}
	getJSON(t, fin, "/api/v1/collection/"+period.String(), &col)
	assert.Equal(t, period.String(), col.Period)
}

// TestBrowserLineExplains: at 1366×768 and 390×844, a deduction line shows its reason
// and a metered line its true calculation, on the work-order page and the line's own.
func TestBrowserLineExplains(t *testing.T) {
	f := setup(t)
	all, _ := breakdowns(t, f)
	var deps []string
	for d := range all {
		deps = append(deps, d)
	}
	sort.Strings(deps)
	pick := func(kind string) apiBreakdownLine {
		for _, d := range deps {
			for _, l := range all[d].Lines {
				if l.Kind == kind {
					return l
				}
			}
		}
		t.Fatalf("no %s line", kind)
		return apiBreakdownLine{}
	}
	ded, met := pick("deduction"), pick("metered")
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1366, 768}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := tab(t)
			browserSignIn(t, ctx, f, f.fin)
			require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(size.w, size.h)))
			for _, l := range []apiBreakdownLine{ded, met} {
				order := l.URL[:strings.Index(l.URL, "&line=")]
				require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+order)))
				waitFor(t, ctx, "#level-items")
				assert.Equal(t, l.Explanation, text(t, ctx, "#line-"+l.ID+" .explanation"), "%s line on its work order", l.Kind)
				viewShot(t, ctx, "explain-"+l.Kind+"-order-"+size.name)
				require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+l.URL)))
				waitFor(t, ctx, "#line-explanation")
				assert.Equal(t, l.Explanation, text(t, ctx, "#line-explanation"))
				assert.Equal(t, money.Grouped(mustDec(t, l.Amount)), text(t, ctx, "#line-amount"))
				viewShot(t, ctx, "explain-"+l.Kind+"-line-"+size.name)
			}
			assert.True(t, strings.HasPrefix(met.Explanation, "用量 "), met.Explanation)
		})
	}
}

func mustDec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	require.NoError(t, err, s)
	return d
}

// viewShot saves the viewport as NAME.png (any size) for the reader of the test run.
func viewShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var buf []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)), name)
	require.NoError(t, os.WriteFile(filepath.Join(screenshotDir(t), name+".png"), buf, 0o644))
}
