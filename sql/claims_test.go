package chstore_test

import (
	"context"
	"errors"
	"os"
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

// TestClaimCloseOneWinner: six processes (one connection pool each) claim one month at
// once, without waiting: exactly one holds it, the others are told who does.
func TestClaimCloseOneWinner(t *testing.T) {
	first := chtest.New(t)
	cfg := chtest.Config(t)
	cfg.Database = first.Database()
	ctx := context.Background()
	oct := calendar.MustPeriod("2026-10")
	const n = 6
	stores := make([]*chstore.Store, n)
	for i := range stores {
		s, err := chstore.Open(ctx, cfg)
		require.NoError(t, err)
		defer s.Close()
		stores[i] = s
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		held     []func()
		refusals []error
	)
	start := make(chan struct{})
	for i := range stores {
		wg.Add(1)
		go func(s *chstore.Store) {
			defer wg.Done()
			<-start
			release, err := s.ClaimClose(ctx, oct, "test", 0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				refusals = append(refusals, err)
				return
			}
			held = append(held, release)
		}(stores[i])
	}
	close(start)
	wg.Wait()
	require.Len(t, held, 1, "exactly one claimant holds the month (refusals: %v)", refusals)
	require.Len(t, refusals, n-1)
	for _, err := range refusals {
		assert.ErrorIs(t, err, monthclose.ErrBeingClosed)
		assert.Contains(t, err.Error(), "2026-10 is being closed by test on ")
	}

	// another month is free meanwhile
	relNov, err := first.ClaimClose(ctx, calendar.MustPeriod("2026-11"), "test", 0)
	require.NoError(t, err)
	relNov()

	// a waiting claimant gets the month once the holder releases it
	got := make(chan error, 1)
	go func() {
		release, err := first.ClaimClose(ctx, oct, "waiter", time.Minute)
		if err == nil {
			release()
		}
		got <- err
	}()
	time.Sleep(2 * time.Second)
	select {
	case err := <-got:
		t.Fatalf("the waiter got the month while it was held: %v", err)
	default:
	}
	held[0]()
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the waiter did not get the released month")
	}
}

// TestClaimCloseStaleClaims: claims left by crashed holders do not block: an expired
// claim, and one of a process of this host that is gone. A live claim of another host
// does.
func TestClaimCloseStaleClaims(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	host, _ := os.Hostname()
	insert := func(p calendar.Period, host string, pid uint32, expiresIn int) {
		require.NoError(t, chtest.Conn(t, s).Exec(ctx, `INSERT INTO close_claims (period, claim_id, host, pid, holder, claimed_at, expires_at, released)
SELECT ?, ?, ?, ?, 'crashed', now() - 5, now() + ?, 0`, p.Key(), host+"-"+p.String(), host, pid, int32(expiresIn)))
	}
	expired, deadPid, foreign := calendar.MustPeriod("2026-07"), calendar.MustPeriod("2026-08"), calendar.MustPeriod("2026-09")
	insert(expired, "elsewhere", 1, -1)
	insert(deadPid, host, 999999, 600)
	insert(foreign, "elsewhere", 1, 600)

	for _, p := range []calendar.Period{expired, deadPid} {
		release, err := s.ClaimClose(ctx, p, "test", 0)
		require.NoError(t, err, "%s", p)
		release()
	}
	_, err := s.ClaimClose(ctx, foreign, "test", 0)
	require.Error(t, err)
	assert.True(t, errors.Is(err, monthclose.ErrBeingClosed))
	assert.Contains(t, err.Error(), "2026-09 is being closed by crashed on elsewhere (pid 1), since ")
}
