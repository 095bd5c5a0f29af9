package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
)

// TestNoDeadEnds: an unknown path and a month not rated answer a Chinese page with the
// menu, a way back and the months that can be shown; 上月/下月 and the statements' month
// links lead only to months with figures (the fixture has one); the upload form is not
// offered for a month not rated; the close page of a month not rated, and of a closed
// one, says its state and what can be done, with the full content hash.
func TestNoDeadEnds(t *testing.T) {
	f := setup(t)
	bur := f.signIn(t, f.bur)

	res, err := bur.Get(bur.base + "/no/such/page")
	require.NoError(t, err)
	body := readBody(t, res)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, body, "没有这个页面")
	assert.Contains(t, body, `id="nav"`, "the menu of the signed-in user")
	assert.Contains(t, body, "返回概览")

	req, _ := http.NewRequest("GET", bur.base+"/departments/"+string(f.depID)+"/2026-09", nil)
	req.Header.Set("Referer", bur.base+"/months")
	res, err = bur.Do(req)
	require.NoError(t, err)
	body = readBody(t, res)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, body, "2026-09 尚未计费")
	assert.Contains(t, body, "最近已计费的月份："+period.String())
	assert.Contains(t, body, `href="/months" id="back"`, "the way back is the page the user came from")
	assert.Contains(t, body, `id="nav"`)

	st, body := bur.get(t, "/departments/"+string(f.depID)+"/"+period.String())
	require.Equal(t, 200, st)
	assert.NotContains(t, body, `id="prev-month"`, "no month before the only one with figures")
	assert.NotContains(t, body, `id="next-month"`)
	st, body = bur.get(t, "/statements/"+period.String())
	require.Equal(t, 200, st)
	assert.NotContains(t, body, `id="next-month"`, "the statements do not page forward forever")
	st, body = bur.get(t, "/statements/2026-11")
	require.Equal(t, 200, st)
	assert.Contains(t, body, `id="no-issue"`)
	assert.Contains(t, body, `href="/statements/`+period.String()+`"`, "points to the month that has statements")
	assert.Contains(t, body, `<a href="/statements/`+period.String()+`">账单下载</a>`, "the menu opens the latest month with statements")

	st, body = bur.get(t, "/vendors/"+string(f.venID)+"/2026-09")
	require.Equal(t, 200, st)
	assert.NotContains(t, body, `id="upload-form"`, "no upload for a month not rated")
	assert.Contains(t, body, `id="no-upload"`)
	st, body = bur.get(t, "/vendors/"+string(f.venID)+"/"+period.String())
	require.Equal(t, 200, st)
	assert.Contains(t, body, `id="upload-form"`)

	st, body = bur.get(t, "/months/2026-09/close")
	require.Equal(t, 200, st)
	assert.Contains(t, body, "尚未计费，不能结账")
	assert.Contains(t, body, "cloudbill rate --period 2026-09")
	assert.NotContains(t, body, `id="close-form"`)
	st, body = bur.get(t, "/months/"+period.String()+"/close")
	require.Equal(t, 200, st)
	c, closed, err := f.store.CloseOf(context.Background(), period)
	require.NoError(t, err)
	if closed { // after TestBrowserZFinanceCloses
		assert.Contains(t, body, "不能再次结账")
		assert.Contains(t, body, c.ContentHash, "the full hash")
		assert.NotContains(t, body, `id="close-form"`)
		_, body = bur.get(t, "/months")
		assert.Contains(t, body, c.ContentHash, "the months page holds the full hash")
	} else {
		assert.Contains(t, body, `id="close-form"`)
	}
}

var totalRE = regexp.MustCompile(`共 (\d+) 条(，第 (\d+)–(\d+) 条)?`)

// TestListsFilterAndPage: the audit log by date range and actor, in pages of 100 with the
// total stated (no silent cap); statements by kind; idle cases overdue first.
func TestListsFilterAndPage(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	actor := fmt.Sprintf("paging-%d", time.Now().UnixNano())
	for i := 0; i < 130; i++ {
		require.NoError(t, f.access.Record(ctx, access.Event{Actor: actor, Role: access.RoleBureau, Action: "download", Target: fmt.Sprintf("file %03d", i), Remote: "127.0.0.1"}))
	}
	bur := f.signIn(t, f.bur)
	page := func(path string) (total, first, last string, body string) {
		t.Helper()
		st, body := bur.get(t, path)
		require.Equal(t, 200, st, path)
		m := totalRE.FindStringSubmatch(body)
		require.NotNil(t, m, "%s states a total", path)
		return m[1], m[3], m[4], body
	}
	total, first, last, body := page("/audit?actor=" + actor)
	assert.Equal(t, []string{"130", "1", "100"}, []string{total, first, last})
	assert.Contains(t, body, "file 129", "newest first")
	assert.NotContains(t, body, "file 029")
	assert.Contains(t, body, `rel="next"`)
	total, first, last, body = page("/audit?actor=" + actor + "&page=2")
	assert.Equal(t, []string{"130", "101", "130"}, []string{total, first, last})
	assert.Contains(t, body, "file 000")
	assert.NotContains(t, body, `rel="next"`)
	_, first, _, _ = page("/audit?actor=" + actor + "&page=99")
	assert.Equal(t, "101", first, "past the end: the last page")
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	total, _, _, _ = page("/audit?actor=" + actor + "&from=" + today + "&to=" + today)
	assert.Equal(t, "130", total)
	total, _, _, _ = page("/audit?actor=" + actor + "&from=2001-01-01&to=2001-01-31")
	assert.Equal(t, "0", total)
	st, _ := bur.get(t, "/audit?from=2026-13-01")
	assert.Equal(t, http.StatusBadRequest, st)
	st, _ = bur.get(t, "/audit?from=2026-10-02&to=2026-10-01")
	assert.Equal(t, http.StatusBadRequest, st)
	all, err := f.access.AuditCount(ctx, access.AuditFilter{})
	require.NoError(t, err)
	assert.Greater(t, all, 130)

	total, _, _, body = page("/statements/" + period.String() + "?kind=vendor")
	assert.Equal(t, fmt.Sprint(len(f.org.Vendors)), total)
	assert.NotContains(t, body, "部门月度账单</td>")
	total, _, _, _ = page("/statements/" + period.String())
	assert.Equal(t, fmt.Sprint(1+len(f.org.Departments)+len(f.org.Vendors)), total)

	idleCases(t, f)
	_, _, _, body = page("/idle")
	table := body[strings.Index(body, `id="idle-cases"`):]
	table = table[:strings.Index(table, "</table>")]
	overdue, open := strings.Index(table, "逾期（"), strings.Index(table, "待整改（")
	require.Greater(t, overdue, 0, "an overdue case in the list")
	if open > 0 {
		assert.Less(t, overdue, open, "overdue cases first")
	}
	_, _, _, body = page("/idle?state=open")
	table = body[strings.Index(body, `id="idle-cases"`):]
	assert.NotContains(t, table[:strings.Index(table, "</table>")], "逾期（", "filtered by state")
}
