package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
)

// TestSamplesCountOnlyForTheirVendor: vendor V1 pushes 24 × net_out_gb = 9999 for a
// resource no work order names yet (accepted as unassigned); a back-dated order of
// vendor V2 for that resource is then imported. V2's metered line holds V2's own samples
// and none of V1's, and the rating run names V1's samples as an exception (resource,
// metric, source, count) in `cloudbill rate`'s output and in rating_runs.
func TestSamplesCountOnlyForTheirVendor(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	now := time.Now()
	token := func(vendor string) string {
		out, _, err := at(t, dsn, now, "tokens", "create", "--vendor", vendor)
		require.NoError(t, err)
		return lastLine(out)
	}
	v1, v2 := token("V1"), token("V2")

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan error, 1)
	var sout, serr bytes.Buffer
	go func() {
		exited <- run(ctx, []string{"--clickhouse", dsn, "--data-dir", t.TempDir(), "serve", "--listen", addr, "--flush", "20ms",
			"--close-schedule", "off", "--rate-schedule", "off"}, &sout, &syncWriter{w: &serr})
	}()
	defer func() {
		cancel()
		<-exited
	}()
	waitHealthy(t, addr, exited)
	url := "http://" + addr + "/v1/samples"
	lines := func(day, n int, value string) string {
		var b strings.Builder
		for h := 0; h < n; h++ {
			fmt.Fprintf(&b, `{"resource_id":"eip-new","metric":"net_out_gb","ts":"2026-11-%02dT%02d:00:00+08:00","value":%s}`+"\n", day, h, value)
		}
		return b.String()
	}
	code, _, ans := pushSamples(t, url, v1, lines(7, 24, "9999"))
	require.Equal(t, 200, code, "%v", ans)
	assert.Equal(t, 24.0, ans["accepted"])
	assert.Equal(t, 24.0, ans["unassigned"], "no work order names eip-new yet")
	// V2's own samples: three hours of 10 GB on another day
	code, _, ans = pushSamples(t, url, v2, lines(8, 3, "10"))
	require.Equal(t, 200, code, "%v", ans)
	require.Equal(t, 3.0, ans["accepted"])

	orders := filepath.Join(t.TempDir(), "orders.csv")
	require.NoError(t, os.WriteFile(orders, []byte("order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type,portion\n"+
		"WO-9,open,2026-11-01,D02,P02,V2,internet,N04,1,eip-new,,\n"), 0o644))
	_, errOut, err := at(t, dsn, now, "orders", "import", orders)
	require.NoError(t, err, errOut)

	out, errOut, err := at(t, dsn, time.Date(2026, 11, 30, 12, 0, 0, 0, calendar.Shanghai()), "rate", "--period", "2026-11")
	require.NoError(t, err, errOut)
	want := "samples of resource eip-new, metric net_out_gb, source V1: 24, another vendor's"
	assert.Contains(t, out, want, "rate names the left-out samples")

	a := &app{dsn: dsn, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, now: time.Now}
	defer a.close()
	s, err := a.Store(context.Background())
	require.NoError(t, err)
	ls, err := s.RatedLines(context.Background(), calendar.MustPeriod("2026-11"))
	require.NoError(t, err)
	found := false
	for _, l := range ls {
		if l.Order != "WO-9" {
			continue
		}
		found = true
		assert.Equal(t, "V2", string(l.Vendor))
		assert.Equal(t, "30", l.Quantity.String(), "V2's line holds its own 3 × 10 GB, none of V1's 24 × 9999 GB")
		assert.Equal(t, "24", l.Amount.String(), "30 GB × 0.80")
	}
	assert.True(t, found, "WO-9 is rated")
	run, err := s.LatestRun(context.Background(), calendar.MustPeriod("2026-11"))
	require.NoError(t, err)
	assert.True(t, containsPrefix(run.Exceptions, want), "rating_runs.exceptions: %q", run.Exceptions)
}

func containsPrefix(ss []string, prefix string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
