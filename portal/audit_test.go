package portal_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
)

// TestAuditDetailsChinese: the audit log's details are stored as codes and values (every
// event recorded by this package's tests, whatever its action) and the audit page reads
// them in Chinese: a statement download, a failed sign-in, a refused self-disable; a
// detail recorded as text before details were data prints as it was stored.
func TestAuditDetailsChinese(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	fin, bur := f.signIn(t, f.fin), f.signIn(t, f.bur)
	download(t, fin, "/api/v1/statements/"+period.String()+"/departments/"+url.PathEscape(string(f.depID))+".pdf")
	assert.False(t, trySignIn(t, f, "nobody-here", "whatever-it-is"))
	st, _ := bur.post(t, "/accounts/"+f.bur+"/disable", url.Values{"csrf": {bur.csrf}, "confirm": {"yes"}})
	assert.Equal(t, 409, st)
	old := "run 7, 1930 lines, total 1043194.81, content hash ab12"
	require.NoError(t, f.access.Record(ctx, access.Event{At: time.Now().Add(-time.Hour), Actor: "old-clerk", Action: "close", Target: "2025-01", Outcome: "ok", Detail: old}))

	evs, err := f.access.Audit(ctx, access.AuditFilter{Limit: 100000})
	require.NoError(t, err)
	for _, e := range evs {
		if e.Detail == "" || e.Detail == old {
			continue
		}
		_, _, ok := access.ParseDetail(e.Detail)
		assert.True(t, ok, "%s %s: detail stored as code and values, not %q", e.Action, e.Target, e.Detail)
	}

	for q, want := range map[string]string{
		"action=download":       "签发编号",
		"action=sign-in-failed": "账号不存在",
		"action=user-disable":   "不能停用自己的账号",
		"actor=old-clerk":       old,
	} {
		st, body := bur.get(t, "/audit?"+q)
		require.Equal(t, 200, st, q)
		assert.Contains(t, body, want, q)
		assert.NotContains(t, body, "reason=", q)
		assert.NotContains(t, body, "state=", q)
	}
}
