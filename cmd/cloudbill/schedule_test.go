package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/schedule"
	"cloudbill/schedule/jobrun"
)

// TestSchedulerCatchesUpOnStart runs the real scheduler (rating engine, close, statements)
// on the catalog fixtures: November closed on 1 December, then the process is down until
// 3 February; on start it rates, closes and issues December, then January, once each.
func TestSchedulerCatchesUpOnStart(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	acc := filepath.Join(t.TempDir(), "acceptance.csv")
	require.NoError(t, os.WriteFile(acc, []byte("vendor_id,period,result,score,availability,security_valid_until\n"+
		"V1,2026-12,passed,95,99.99,2027-06-30\nV2,2026-12,passed,90,99.9,2027-06-30\n"+
		"V1,2027-01,passed,95,99.99,2027-06-30\nV2,2027-01,failed,50,98,2027-06-30\n"), 0o644))
	_, errOut, err := at(t, dsn, dec1, "acceptance", "import", acc)
	require.NoError(t, err, errOut)
	_, errOut, err = at(t, dsn, dec1, "rate", "--period", "2026-11")
	require.NoError(t, err, errOut)
	_, errOut, err = at(t, dsn, dec1, "close", "--period", "2026-11")
	require.NoError(t, err, errOut)

	out := t.TempDir()
	set := serveJobFlags(t, "--statements-out", out, "--rate-schedule", "off", "--idle-schedule", "off", "--idle-follow-schedule", "off")

	feb3 := time.Date(2027, 2, 3, 10, 0, 0, 0, calendar.Shanghai())
	a := &app{dsn: dsn, dataDir: t.TempDir(), stdout: io.Discard, stderr: io.Discard, now: func() time.Time { return feb3 }}
	defer a.close()
	sched, err := startScheduler(context.Background(), a, set, newServeLog(io.Discard, "text"))
	require.NoError(t, err)
	s, err := a.Store(context.Background())
	require.NoError(t, err)
	var runs []jobrun.Run
	require.Eventually(t, func() bool {
		runs, err = s.JobRuns(context.Background(), schedule.JobClose)
		return err == nil && len(runs) >= 2
	}, 90*time.Second, 100*time.Millisecond)
	sched.Stop()

	runs, err = s.JobRuns(context.Background(), schedule.JobClose)
	require.NoError(t, err)
	var got []string
	for _, r := range runs {
		got = append(got, r.Period.String()+" "+r.Trigger+" "+string(r.Status)+" "+r.Error)
		assert.True(t, strings.HasSuffix(jobrun.DetailEnglish(r.Detail), "; statements issued"), r.Detail)
	}
	assert.ElementsMatch(t, []string{"2026-12 catch-up ok ", "2027-01 catch-up ok "}, got)
	cs, err := s.Closes(context.Background())
	require.NoError(t, err)
	var closed []string
	for _, c := range cs {
		closed = append(closed, c.Period.String()+" "+c.ClosedBy)
		if c.Period != calendar.MustPeriod("2026-11") {
			assert.Equal(t, feb3.UTC(), c.ClosedAt.UTC())
		}
	}
	assert.Equal(t, []string{"2026-11 cli", "2026-12 schedule", "2027-01 schedule"}, closed)
	for _, p := range []string{"2026-12", "2027-01"} {
		assert.FileExists(t, filepath.Join(out, p, "summary.pdf"))
		assert.FileExists(t, filepath.Join(out, p, "summary.csv"))
	}
	assert.NoDirExists(t, filepath.Join(out, "2026-11"), "November was closed by hand before")

	// every job of the one scheduler is checked alike, naming its flag
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--close-schedule", "0 2 31 2 *"}, `close schedule: cron spec "0 2 31 2 *" never fires`},
		{[]string{"--idle-schedule", "0 4 31 2 *"}, `--idle-schedule: cron spec "0 4 31 2 *" never fires`},
		{[]string{"--idle-follow-schedule", "61 4 * * *"}, `--idle-follow-schedule: cron spec "61 4 * * *"`},
		{[]string{"--backup-dir", t.TempDir(), "--backup-schedule", "TZ=UTC 0 1 * * *"}, `--backup-schedule: cron spec "TZ=UTC 0 1 * * *": no time zone prefix`},
	} {
		t.Run("a bad cron spec is a usage error: "+tt.args[len(tt.args)-2], func(t *testing.T) {
			_, err := startScheduler(context.Background(), a, serveJobFlags(t, tt.args...), newServeLog(io.Discard, "text"))
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// serveJobFlags are serve's job settings (the month's jobs, the idle jobs, the backup)
// from args.
func serveJobFlags(t *testing.T, args ...string) jobSettings {
	t.Helper()
	var set jobSettings
	fs := newFlagSet("serve")
	scheduleFlags(fs, &set.Schedule)
	idleServeFlags(fs, &set.Idle)
	backupServeFlags(fs, &set.Backup)
	require.NoError(t, fs.Parse(args))
	return set
}
