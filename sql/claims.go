package chstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/internal/calendar"
	"cloudbill/monthclose"
)

// Claim timing. A claim's time is the server's now(), in whole seconds, so two claims
// in one second tie and are ordered by claim id. A claimant reads the claims back only
// once the server's clock has passed the second of its own claim, and claimInsertMax
// more: by then every claim made in that second or before has been written (a claim
// whose insert took longer than claimInsertMax is withdrawn and made again), so every
// claimant sees the same earliest claim. Claiming takes about one second.
//
// This holds for one server (or claims read where they are written). On a cluster the
// table must not be behind an asynchronous Distributed table: claims are written and
// read on one replica set with insert_quorum, or the settling time covers replication.
const (
	claimInsertMax = 500 * time.Millisecond
	// ClaimTTL is how long a claim lives without renewal; the holder renews it every
	// third of that. A crashed holder's claim blocks the month at most that long (at
	// once, when it ran on this host: its pid is checked).
	ClaimTTL = 60 * time.Second
)

// ClaimClose claims month p's close for this process, against every other process on
// any host using this database (see close_claims in the migrations). It returns once the
// claim is held; release ends it. While another live claim precedes ours, it waits up to
// wait (polling each second) for that claim to end; past wait it returns an error
// wrapping monthclose.ErrBeingClosed that names the holder. by says who claims ("cli",
// "schedule").
func (s *Store) ClaimClose(ctx context.Context, p calendar.Period, by string, wait time.Duration) (release func(), err error) {
	host, _ := os.Hostname()
	me := claimant{host: host, pid: uint32(os.Getpid()), holder: by}
	deadline := time.Now().Add(wait)
	for attempt := 0; ; attempt++ {
		id, err := s.insertClaim(ctx, p, me)
		if errors.Is(err, errSlowClaim) && attempt < 10 {
			s.releaseClaim(p, id, me) // others may have read past it: make it again
			continue
		}
		if err != nil {
			return nil, err
		}
		first, err := s.settleAndRead(ctx, p, id)
		if err != nil {
			s.releaseClaim(p, id, me)
			return nil, err
		}
		if first.id == id {
			return s.hold(p, id, me), nil
		}
		// Someone else holds it (or claimed first). Withdraw ours and wait for theirs.
		s.releaseClaim(p, id, me)
		if err := s.waitClaim(ctx, p, first, deadline); err != nil {
			return nil, err
		}
	}
}

var errSlowClaim = errors.New("claim insert too slow")

type claimant struct {
	host   string
	pid    uint32
	holder string
}

type claim struct {
	claimant
	id        string
	claimedAt time.Time
	expiresAt time.Time
	released  bool
}

func (c claim) String() string {
	return fmt.Sprintf("%s on %s (pid %d), since %s UTC", c.holder, c.host, c.pid, c.claimedAt.UTC().Format("2006-01-02 15:04:05"))
}

func (s *Store) insertClaim(ctx context.Context, p calendar.Period, me claimant) (string, error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	began := time.Now()
	if err := execOn(ctx, s.conn, claimInsert{period: p, id: id, claimant: me}); err != nil {
		return "", fmt.Errorf("claim the close of %s: %w", p, err)
	}
	if time.Since(began) > claimInsertMax {
		return id, errSlowClaim
	}
	return id, nil
}

// settleAndRead waits until every claim that could precede claim id is visible and
// returns the first live claim of month p.
func (s *Store) settleAndRead(ctx context.Context, p calendar.Period, id string) (claim, error) {
	var second time.Time // the server's second of our claim
	for {
		cs, now, err := s.claims(ctx, p)
		if err != nil {
			return claim{}, err
		}
		if second.IsZero() {
			for _, c := range cs {
				if c.id == id {
					second = c.claimedAt
				}
			}
			if second.IsZero() {
				return claim{}, fmt.Errorf("claim the close of %s: our claim is not visible after its insert", p)
			}
		}
		if now.After(second) {
			break
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return claim{}, err
		}
	}
	// The second is over: claims made in it or before were written within
	// claimInsertMax of their start.
	if err := sleep(ctx, claimInsertMax); err != nil {
		return claim{}, err
	}
	cs, now, err := s.claims(ctx, p)
	if err != nil {
		return claim{}, err
	}
	live := liveClaims(cs, now)
	if len(live) == 0 {
		return claim{}, fmt.Errorf("claim the close of %s: our claim expired before it was read back", p)
	}
	return live[0], nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// claimInsert writes a claim of month p's close (a new claim, or a renewal of claim
// id), or with release its end. The times are the server's now(): every claimant's
// claims are ordered by one clock.
type claimInsert struct {
	period calendar.Period
	id     string
	claimant
	release bool
}

func (q claimInsert) toSQL() (string, []any) {
	const insert = `INSERT INTO close_claims (period, claim_id, host, pid, holder, claimed_at, expires_at, released)
`
	if q.release {
		return insert + "SELECT ?, ?, ?, ?, ?, now(), now(), 1", []any{q.period.Key(), q.id, q.host, q.pid, q.holder}
	}
	return insert + "SELECT ?, ?, ?, ?, ?, now(), now() + ?, 0", []any{q.period.Key(), q.id, q.host, q.pid, q.holder, uint32(ClaimTTL / time.Second)}
}

// serverNowQuery reads the server's clock.
type serverNowQuery struct{}

func (serverNowQuery) toSQL() (string, []any) { return "SELECT now()", nil }

func (serverNowQuery) scan(row driver.Row) (time.Time, error) {
	var now time.Time
	err := row.Scan(&now)
	return now, err
}

// closeClaimsQuery reads the claims of a month's close, one per claim id.
type closeClaimsQuery struct{ period calendar.Period }

func (q closeClaimsQuery) toSQL() (string, []any) {
	return `SELECT claim_id, any(host), any(pid), any(holder), min(claimed_at), max(expires_at), max(released)
FROM close_claims WHERE period = ? GROUP BY claim_id`, []any{q.period.Key()}
}

func (q closeClaimsQuery) scan(rows driver.Rows) ([]claim, error) {
	var out []claim
	for rows.Next() {
		var c claim
		var rel uint8
		if err := rows.Scan(&c.id, &c.host, &c.pid, &c.holder, &c.claimedAt, &c.expiresAt, &rel); err != nil {
			return nil, err
		}
		c.released = rel == 1
		out = append(out, c)
	}
	return out, rows.Err()
}

// claims reads the claims of month p, one per claim id, and the server's clock.
func (s *Store) claims(ctx context.Context, p calendar.Period) ([]claim, time.Time, error) {
	now, err := runRow(ctx, s.conn, serverNowQuery{})
	if err != nil {
		return nil, now, fmt.Errorf("read the server's clock: %w", err)
	}
	out, err := runQuery(ctx, s.conn, closeClaimsQuery{period: p})
	if err != nil {
		return nil, now, fmt.Errorf("read the close claims of %s: %w", p, err)
	}
	return out, now, nil
}

// liveClaims are the claims neither released nor expired (by the server's clock) nor
// held by a process of this host that is gone, earliest (claimed_at, claim_id) first.
func liveClaims(cs []claim, now time.Time) []claim {
	host, _ := os.Hostname()
	var live []claim
	for _, c := range cs {
		if c.released || !c.expiresAt.After(now) {
			continue
		}
		if c.host == host && c.pid != 0 && syscall.Kill(int(c.pid), 0) == syscall.ESRCH {
			continue // its process died on this host: the claim is void
		}
		live = append(live, c)
	}
	sort.Slice(live, func(i, j int) bool {
		if !live[i].claimedAt.Equal(live[j].claimedAt) {
			return live[i].claimedAt.Before(live[j].claimedAt)
		}
		return live[i].id < live[j].id
	})
	return live
}

// waitClaim waits while claim c (or any live claim) holds month p, until deadline.
func (s *Store) waitClaim(ctx context.Context, p calendar.Period, c claim, deadline time.Time) error {
	for {
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%w: %s is being closed by %s; try again once it is done", monthclose.ErrBeingClosed, p, c)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		cs, now, err := s.claims(ctx, p)
		if err != nil {
			return err
		}
		live := liveClaims(cs, now)
		if len(live) == 0 {
			return nil
		}
		c = live[0]
	}
}

// hold keeps claim id alive (renewing it every third of ClaimTTL) until release.
func (s *Store) hold(p calendar.Period, id string, me claimant) (release func()) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ClaimTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), ClaimTTL/3)
				_ = execOn(ctx, s.conn, claimInsert{period: p, id: id, claimant: me})
				cancel()
			}
		}
	}()
	var released bool
	return func() {
		if released {
			return
		}
		released = true
		close(stop)
		<-done
		s.releaseClaim(p, id, me)
	}
}

// releaseClaim ends claim id (best effort: an unreleased claim expires).
func (s *Store) releaseClaim(p calendar.Period, id string, me claimant) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = execOn(ctx, s.conn, claimInsert{period: p, id: id, claimant: me, release: true})
}
