package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	usecase "cloudbill/app"
	"cloudbill/document/pdf"
	"cloudbill/internal/calendar"
	chstore "cloudbill/sql"
)

func statusJSON(t *testing.T, dsn string, args ...string) statusReport {
	t.Helper()
	out, errOut, err := at(t, dsn, dec1, append([]string{"status", "--format", "json"}, args...)...)
	require.NoError(t, err, errOut)
	var rep statusReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	return rep
}

func TestStatusCommand(t *testing.T) {
	dsn := catalogDSN(t)

	t.Run("fresh database", func(t *testing.T) {
		rep := statusJSON(t, dsn)
		require.Len(t, rep.Months, 2, "the previous and the current month")
		assert.Equal(t, monthStatus{Period: "2026-11", State: usecase.StateOpen}, rep.Months[0])
		assert.Equal(t, monthStatus{Period: "2026-12", State: usecase.StateOpen}, rep.Months[1])
		assert.Empty(t, rep.Jobs)
		assert.Empty(t, rep.Imports)
		assert.Zero(t, rep.Spool.Batches)
		out, _, err := at(t, dsn, dec1, "status")
		require.NoError(t, err)
		assert.Contains(t, out, "2026-11  open  not rated")
		assert.Contains(t, out, "last job runs\n  none (jobs run inside cloudbill serve)")
		assert.Contains(t, out, "spool\n  empty")
	})

	importFixtures(t, dsn, false) // V1 and V2 without acceptance records
	rateOut, errOut, err := at(t, dsn, dec1, "rate", "--period", "2026-11")
	require.NoError(t, err, errOut)
	assert.Contains(t, rateOut, "pending     2 vendors without an acceptance record: V1, V2\n", "rate prints the run's pending vendors")
	again, errOut, err := at(t, dsn, dec1, "rate", "--period", "2026-11")
	require.NoError(t, err, errOut)
	assert.Contains(t, again, "unchanged")
	assert.Contains(t, again, "pending     2 vendors without an acceptance record: V1, V2\n", "and the stored run's when unchanged")

	t.Run("rated month with pending acceptance", func(t *testing.T) {
		rep := statusJSON(t, dsn, "--period", "2026-11")
		require.Len(t, rep.Months, 1)
		m := rep.Months[0]
		assert.Equal(t, usecase.StatePending, m.State)
		require.NotNil(t, m.Rated)
		assert.Equal(t, []string{"V1", "V2"}, m.Rated.Pending)
		assert.Len(t, m.Rated.Fingerprint, 64, "the inputs' fingerprint")
		assert.Equal(t, 5, m.Rated.Lines)
		assert.Nil(t, m.Closed)
		var kinds []string
		for _, im := range rep.Imports {
			kinds = append(kinds, im.Kind)
		}
		assert.ElementsMatch(t, []string{"catalog", "adaptations", "org", "orders"}, kinds, "the imports")
	})

	closeOut, errOut, err := at(t, dsn, dec1, "close", "--period", "2026-11", "--allow-pending")
	require.NoError(t, err, errOut)

	t.Run("closed month with pending acceptance allowed", func(t *testing.T) {
		rep := statusJSON(t, dsn)
		require.Len(t, rep.Months, 2)
		m := rep.Months[0]
		assert.Equal(t, "2026-11", m.Period)
		assert.Equal(t, usecase.StateClosed, m.State)
		require.NotNil(t, m.Closed)
		assert.True(t, m.Closed.AllowPending)
		assert.Equal(t, []string{"V1", "V2"}, m.Closed.Pending)
		assert.Equal(t, "cli", m.Closed.By)
		assert.Contains(t, closeOut, "content hash "+m.Closed.ContentHash)
		assert.Equal(t, m.Closed.RunID, m.Rated.RunID, "the frozen run")
		assert.Equal(t, usecase.StateOpen, rep.Months[1].State, "December")

		out, _, err := at(t, dsn, dec1, "status", "--period", "2026-11")
		require.NoError(t, err)
		assert.Contains(t, out, "2026-11  closed  closed 2026-12-01 02:00 by cli: 5 lines")
		assert.Contains(t, out, "closed with acceptance pending for V1, V2 (allowed)")
	})

	t.Run("the months are app.Months' and the runs app.RunOf's, as the portal lists them", func(t *testing.T) {
		s, err := chstore.Open(context.Background(), mustDSN(t, dsn))
		require.NoError(t, err)
		defer s.Close()
		uc, err := usecase.New(usecase.Config{Store: s, Now: func() time.Time { return dec1 }, LoadFont: pdf.Load})
		require.NoError(t, err)
		cur := calendar.LocalDate(dec1).Period()
		ms, err := uc.Months(context.Background(), cur.Prev(), cur)
		require.NoError(t, err)
		var want []string
		for i := len(ms) - 1; i >= 0; i-- {
			run, _, err := uc.RunOf(context.Background(), ms[i])
			require.NoError(t, err)
			want = append(want, ms[i].Period.String()+" "+string(ms[i].State)+" "+run.ID)
		}
		var got []string
		for _, m := range statusJSON(t, dsn).Months {
			id := ""
			if m.Rated != nil {
				id = m.Rated.RunID
			}
			got = append(got, m.Period+" "+string(m.State)+" "+id)
		}
		assert.Equal(t, want, got)
	})

	t.Run("bad usage", func(t *testing.T) {
		for _, args := range [][]string{{"status", "--format", "xml"}, {"status", "--period", "2026/11"}, {"status", "extra"}} {
			_, _, err := at(t, dsn, dec1, args...)
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err), "%v", args)
		}
	})
}
