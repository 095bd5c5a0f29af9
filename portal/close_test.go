package portal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/app"
	"cloudbill/document/pdf"
	"cloudbill/gen"
	"cloudbill/internal/calendar"
	"cloudbill/metering/pull"
	"cloudbill/portal"
	chstore "cloudbill/sql"
	"cloudbill/sql/chtest"
)

// TestPortalCloseRefusesIncompleteMonth: closing from the portal a month whose collector
// windows are missing is refused as `cloudbill close` refuses it (nothing closed), and
// the override (the portal's "采集不完整仍结账", the CLI's --allow-incomplete) is recorded
// the same way, in collect_incomplete_closes with the close time and who closed. On a
// database of its own (a small generated November), so that the shared month stays open.
func TestPortalCloseRefusesIncompleteMonth(t *testing.T) {
	bin, err := cloudbillBinary()
	require.NoError(t, err)
	ctx := context.Background()
	nov := calendar.MustPeriod("2026-11")
	cfg := chtest.Config(t)
	f := &fixture{bin: bin, dsn: chtest.DSN(t, cfg.Database)}
	input := t.TempDir()
	m, err := gen.Generate(ctx, gen.Config{Out: input, Scale: gen.Small, Period: nov, Seed: 5})
	require.NoError(t, err)
	for _, s := range append(loadSteps(m, input), []string{"rate", "--period", nov.String()}) {
		require.NoError(t, f.cli(s...))
	}
	store, err := chstore.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = store.DropDatabase(context.Background(), cfg.Database)
		_ = store.Close()
	})
	// a vendor's collector from 30 November on that never answered: 24 hourly windows
	// of November missing
	start := time.Date(2026, 11, 30, 0, 0, 0, 0, calendar.Shanghai())
	require.NoError(t, store.SaveMappings(ctx, []pull.MappingRecord{{Vendor: "V1", Metric: "cpu_util", Query: "avg_over_time(x[1h])",
		ResourceLabel: "instance", Window: time.Hour, Lateness: time.Minute, Start: start, File: "V1.yaml", At: time.Now()}}))

	svc, err := access.New(access.Config{Store: store})
	require.NoError(t, err)
	_, err = svc.AddUser(ctx, access.AddUserParams{Login: "finance", Role: access.RoleFinance, Password: password, By: access.Local("test")})
	require.NoError(t, err)
	uc, err := app.New(app.Config{Store: store, Now: time.Now, StatementsDir: t.TempDir(), LoadFont: pdf.Load})
	require.NoError(t, err)
	p, err := portal.New(portal.Config{Store: store, Access: svc, App: uc})
	require.NoError(t, err)
	f.srv = httptest.NewServer(p.Handler())
	defer f.srv.Close()
	fin := f.signIn(t, "finance")
	closeURL := "/months/" + nov.String() + "/close"

	st, body := fin.get(t, closeURL)
	require.Equal(t, 200, st)
	assert.Contains(t, body, "缺失窗口 24 个")
	assert.Contains(t, body, `id="allow-incomplete"`)

	st, body = fin.post(t, closeURL, url.Values{"confirm": {"yes"}, "csrf": {fin.csrf}})
	assert.Equal(t, http.StatusConflict, st, "refused")
	assert.Contains(t, body, "有采集窗口缺失")
	_, closed, err := store.CloseOf(ctx, nov)
	require.NoError(t, err)
	require.False(t, closed, "nothing closed")

	st, body = fin.post(t, closeURL, url.Values{"confirm": {"yes"}, "allow_incomplete": {"yes"}, "csrf": {fin.csrf}})
	require.Equal(t, 200, st, body)
	assert.Contains(t, body, `id="closed"`)
	c, closed, err := store.CloseOf(ctx, nov)
	require.NoError(t, err)
	require.True(t, closed)
	assert.Equal(t, "portal:finance", c.ClosedBy)
	var (
		at      time.Time
		by, why string
		missing uint32
	)
	require.NoError(t, chtest.Conn(t, store).QueryRow(ctx,
		"SELECT closed_at, closed_by, missing, detail FROM collect_incomplete_closes WHERE period = ?", nov.Key()).Scan(&at, &by, &missing, &why))
	assert.True(t, at.Equal(c.ClosedAt), "recorded at the close time: got %v, want %v", at, c.ClosedAt)
	assert.Equal(t, "portal:finance", by)
	assert.Equal(t, uint32(24), missing)
	assert.Equal(t, "vendor V1, metric cpu_util: 24 of 24 windows missing (0 failed): 2026-11-30 00:00 … 2026-12-01 00:00 (24 windows)", why)
}
