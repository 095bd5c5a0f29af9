package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/monthclose"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// TestConcurrentCloses: two `close` of the same month at once write exactly one
// period_closes row; one closes, the other waits and finds it closed. A close that may
// not wait (--wait 0) while another process holds the month is told who holds it.
func TestConcurrentCloses(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	_, errOut, err := at(t, dsn, dec1, "rate", "--period", "2026-11")
	require.NoError(t, err, errOut)

	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range outs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			outs[i], _, errs[i] = at(t, dsn, dec1, "close", "--period", "2026-11")
		}(i)
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	both := outs[0] + outs[1]
	assert.Equal(t, 1, strings.Count(both, "closed 2026-11 at"), "one close: %s", both)
	assert.Equal(t, 1, strings.Count(both, "2026-11 is already closed"), "the other found it closed: %s", both)

	s, err := chstore.Open(context.Background(), mustDSN(t, dsn))
	require.NoError(t, err)
	defer s.Close()
	var rows uint64
	require.NoError(t, chtest.Conn(t, s).QueryRow(context.Background(), "SELECT count() FROM period_closes WHERE period = 202611").Scan(&rows))
	assert.Equal(t, uint64(1), rows, "period_closes rows of 2026-11")

	t.Run("told when it may not wait", func(t *testing.T) {
		_, errOut, err := at(t, dsn, time.Date(2027, 1, 1, 2, 0, 0, 0, calendar.Shanghai()), "rate", "--period", "2026-12")
		require.NoError(t, err, errOut)
		release, err := s.ClaimClose(context.Background(), calendar.MustPeriod("2026-12"), "another-closer", 0)
		require.NoError(t, err)
		defer release()
		_, _, err = at(t, dsn, time.Date(2027, 1, 1, 2, 0, 0, 0, calendar.Shanghai()), "close", "--period", "2026-12", "--wait", "0")
		require.Error(t, err)
		assert.ErrorIs(t, err, monthclose.ErrBeingClosed)
		assert.Contains(t, err.Error(), "close 2026-12: month is being closed: 2026-12 is being closed by another-closer on ")
		assert.Equal(t, exitFailed, exitCode(err))
	})
}
