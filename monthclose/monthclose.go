// Package monthclose closes (freezes) a rated month: it checks that the month may be
// closed, hashes the month's rated lines and records the close in period_closes.
//
// A closed month is never re-rated or rewritten (the rating engine refuses with
// rating.ErrPeriodClosed); later news about it is rated as an adjustment in the first open
// month. Closing is idempotent: closing a closed month writes nothing and says so.
//
// The package holds the rules only; it reads and writes through the Store interface it
// declares, which the ClickHouse adapter (package chstore) satisfies.
package monthclose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// Store is what closing reads and writes.
type Store interface {
	// LatestRun is the month's latest rating run; an error wrapping rating.ErrNotRated
	// when the month was never rated.
	LatestRun(ctx context.Context, p calendar.Period) (rating.Run, error)
	// RatedLines are the lines of the month's latest run (of the frozen run once closed).
	RatedLines(ctx context.Context, p calendar.Period) ([]rating.Line, error)
	// Closes lists every closed month, oldest first.
	Closes(ctx context.Context) ([]rating.Close, error)
	// InsertClose records a close; it is called once per month.
	InsertClose(ctx context.Context, c rating.Close) error
}

// Errors of Close, checked with errors.Is.
var (
	// ErrNotRated: the month has no rating run; rate it first (rating.ErrNotRated).
	ErrNotRated = rating.ErrNotRated
	// ErrPending: a vendor's acceptance is pending and AllowPending was not given.
	ErrPending = errors.New("acceptance pending")
	// ErrNotEnded: the month has not ended yet (by the injected clock).
	ErrNotEnded = errors.New("month not ended")
	// ErrRerated: the month was re-rated while it was being closed; nothing was written.
	ErrRerated = errors.New("month re-rated during close")
	// ErrTampered: the lines of a closed month no longer hash to the recorded content hash.
	ErrTampered = errors.New("closed month's lines changed")
	// ErrBeingClosed: another process (on any host) is closing the month; nothing was
	// written. The error names who and since when.
	ErrBeingClosed = errors.New("month is being closed")
)

// Claimer is a Store that holds a month's close against every other closer, in any
// process on any host (the ClickHouse adapter keeps claims in ClickHouse). When the Store
// is one, Close claims the month before it checks and writes anything, so that two
// closes of one month write exactly one close record: the second waits (up to
// Options.Wait) and then finds the month closed, or is told ErrBeingClosed.
type Claimer interface {
	// ClaimClose returns once this process holds month p's close, or an error wrapping
	// ErrBeingClosed when another holds it past wait. release ends the claim.
	ClaimClose(ctx context.Context, p calendar.Period, by string, wait time.Duration) (release func(), err error)
}

// Claim is a live claim on a month's close: who holds it, on which host and process,
// since when (UTC, "2006-01-02 15:04:05").
type Claim struct {
	Period calendar.Period
	Holder string
	Host   string
	PID    uint32
	Since  string
}

// Options tunes a close.
type Options struct {
	// AllowPending closes a month even though some vendors' acceptance is pending; the
	// close records the pending vendors and that it was allowed.
	AllowPending bool
	// Now is the clock: the close time recorded, and the check that the month has ended.
	// Required.
	Now func() time.Time
	// ClosedBy names who or what closed the month ("cli", "schedule", a user name).
	ClosedBy string
	// Wait is how long to wait while another process closes the same month (see
	// Claimer); 0: do not wait, answer ErrBeingClosed at once.
	Wait time.Duration
}

// Result says what Close did.
type Result struct {
	// Close is the month's close record: the new one, or the existing one when Already.
	Close rating.Close
	// Already: the month was closed before; nothing was written. Verified reports that
	// the frozen lines still hash to the recorded content hash.
	Already bool
	// Warnings are conditions worth telling the user that do not stop a close (an
	// earlier month rated but still open, a later month already closed).
	Warnings []string
}

// lookBack bounds the search for earlier open months when no month was ever closed.
const lookBack = 12

// Close closes month p. In order it:
//   - returns the existing close (Already, nothing written) when p is closed, after
//     checking that the frozen lines still hash to the recorded hash (ErrTampered if not);
//   - claims the month when s is a Claimer (see there), waiting up to opts.Wait while
//     another process closes it (ErrBeingClosed after that), and looks again whether it
//     was closed meanwhile; the claim is held until Close returns;
//   - refuses a month that has not ended by opts.Now (ErrNotEnded), that was never rated
//     (ErrNotRated), or whose run lists vendors with pending acceptance unless
//     opts.AllowPending (ErrPending);
//   - reads the run's lines (refusing if the month was re-rated meanwhile, ErrRerated, or
//     if fewer or more lines are read than the run holds), hashes them (ContentHash) and
//     records the close with the run id, the hash, the number of lines, their total, the
//     pending vendors and opts.Now().
//
// Months should close in order. An earlier month that is rated but still open, or a later
// month already closed, does not stop the close (one stuck month must not hold up the
// district's books); each is reported in Result.Warnings.
func Close(ctx context.Context, s Store, p calendar.Period, opts Options) (Result, error) {
	if opts.Now == nil {
		return Result{}, errors.New("close: no clock given")
	}
	closes, err := s.Closes(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("close %s: %w", p, err)
	}
	for _, c := range closes {
		if c.Period == p {
			return already(ctx, s, c)
		}
	}
	if cl, ok := s.(Claimer); ok {
		release, err := cl.ClaimClose(ctx, p, opts.ClosedBy, opts.Wait)
		if err != nil {
			return Result{}, fmt.Errorf("close %s: %w", p, err)
		}
		defer release()
		// it may have been closed while we waited for the claim
		if closes, err = s.Closes(ctx); err != nil {
			return Result{}, fmt.Errorf("close %s: %w", p, err)
		}
		for _, c := range closes {
			if c.Period == p {
				return already(ctx, s, c)
			}
		}
	}
	now := opts.Now()
	if !Ended(p, now) {
		return Result{}, fmt.Errorf("close %s: %w: it ends %s Asia/Shanghai", p, ErrNotEnded,
			p.End().In(calendar.Shanghai()).Format("2006-01-02 15:04"))
	}
	run, err := s.LatestRun(ctx, p)
	if err != nil {
		if errors.Is(err, rating.ErrNotRated) {
			return Result{}, fmt.Errorf("close %s: %w: rate it first (cloudbill rate --period %s)", p, ErrNotRated, p)
		}
		return Result{}, fmt.Errorf("close %s: %w", p, err)
	}
	if len(run.Pending) > 0 && !opts.AllowPending {
		return Result{}, fmt.Errorf("close %s: %w for %s: import their acceptance records and re-rate, or close with --allow-pending",
			p, ErrPending, vendorList(run.Pending))
	}
	lines, err := s.RatedLines(ctx, p)
	if err != nil {
		return Result{}, fmt.Errorf("close %s: read lines: %w", p, err)
	}
	again, err := s.LatestRun(ctx, p)
	if err != nil {
		return Result{}, fmt.Errorf("close %s: %w", p, err)
	}
	if again.ID != run.ID {
		return Result{}, fmt.Errorf("close %s: %w (run %s, then %s); nothing written, close again", p, ErrRerated, run.ID, again.ID)
	}
	if len(lines) != run.Lines {
		return Result{}, fmt.Errorf("close %s: run %s has %d lines but %d were read; nothing written", p, run.ID, run.Lines, len(lines))
	}
	res := Result{Warnings: orderWarnings(ctx, s, p, closes)}
	total := decimal.Zero
	for _, l := range lines {
		total = total.Add(l.Amount)
	}
	c := rating.Close{
		Period:       p,
		ClosedAt:     now.UTC().Truncate(time.Second),
		RunID:        run.ID,
		ContentHash:  ContentHash(lines),
		AllowPending: opts.AllowPending && len(run.Pending) > 0,
		Pending:      append([]catalog.VendorID(nil), run.Pending...),
		Lines:        len(lines),
		Total:        total,
		ClosedBy:     opts.ClosedBy,
	}
	if err := s.InsertClose(ctx, c); err != nil {
		return Result{}, fmt.Errorf("close %s: %w", p, err)
	}
	res.Close = c
	return res, nil
}

// already checks a closed month's frozen lines against its recorded hash.
func already(ctx context.Context, s Store, c rating.Close) (Result, error) {
	lines, err := s.RatedLines(ctx, c.Period)
	if err != nil {
		return Result{}, fmt.Errorf("close %s: read frozen lines: %w", c.Period, err)
	}
	if h := ContentHash(lines); h != c.ContentHash {
		return Result{}, fmt.Errorf("close %s: %w: closed with content hash %s, lines now hash to %s",
			c.Period, ErrTampered, c.ContentHash, h)
	}
	return Result{Close: c, Already: true}, nil
}

// orderWarnings reports earlier months that are rated but open, and later months that
// are closed. Earlier months are searched back to the previous close (at most lookBack
// months when there is none).
func orderWarnings(ctx context.Context, s Store, p calendar.Period, closes []rating.Close) []string {
	var warns []string
	from := p
	for i := 0; i < lookBack; i++ {
		from = from.Prev()
	}
	var later []string
	for _, c := range closes {
		if c.Period.Before(p) && !c.Period.Before(from) {
			from = c.Period.Next()
		}
		if p.Before(c.Period) {
			later = append(later, c.Period.String())
		}
	}
	for q := from; q.Before(p); q = q.Next() {
		if _, err := s.LatestRun(ctx, q); err == nil {
			warns = append(warns, fmt.Sprintf("%s is rated but not closed: close months in order (cloudbill close --period %s)", q, q))
		}
	}
	if len(later) > 0 {
		warns = append(warns, fmt.Sprintf("later months are already closed (%s): news about %s is booked as adjustments after them", joinComma(later), p))
	}
	return warns
}

// ContentHash is the SHA-256, in hex, of the canonical serialisation of lines: every
// field of every line, one line a record, in a stable order that does not depend on the
// order given. Decimals are written in their shortest exact form, so 1.50 and 1.5 hash
// alike. It is what a close records and what re-issuing a closed month checks.
func ContentHash(lines []rating.Line) string {
	h := sha256.New()
	WriteCanonical(h, lines)
	return hex.EncodeToString(h.Sum(nil))
}

// WriteCanonical writes the canonical serialisation of lines that ContentHash hashes: a
// version line, then one tab-separated record per line, records sorted bytewise.
func WriteCanonical(w io.Writer, lines []rating.Line) {
	recs := make([]string, len(lines))
	for i, l := range lines {
		recs[i] = record(l)
	}
	sort.Strings(recs)
	_, _ = io.WriteString(w, "cloudbill rated lines v1\n")
	for _, r := range recs {
		_, _ = io.WriteString(w, r)
		_, _ = io.WriteString(w, "\n")
	}
}

func record(l rating.Line) string {
	q := strconv.Quote
	date := func(d calendar.Date) string {
		if d.IsZero() {
			return "-"
		}
		return d.String()
	}
	period := func(p calendar.Period) string {
		if p == (calendar.Period{}) {
			return "-"
		}
		return p.String()
	}
	fields := []string{
		period(l.Period), q(string(l.Kind)), q(string(l.Department)), q(string(l.Vendor)),
		q(string(l.Project)), q(string(l.Category)), q(string(l.Order)), q(string(l.Item)),
		q(string(l.Zone)), q(string(l.Mode)), date(l.From), date(l.To),
		strconv.Itoa(l.Days), strconv.Itoa(l.DaysInMonth),
		l.Quantity.String(), l.UnitPrice.String(), l.Unrounded.String(), l.Amount.String(),
		date(l.CatalogVersion), period(l.Corrects), q(string(l.CorrectsKind)), q(l.Note),
	}
	var b []byte
	for i, f := range fields {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(b, f...)
	}
	return string(b)
}

func vendorList(vs []catalog.VendorID) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return "vendor " + joinComma(s)
}

func joinComma(s []string) string { return strings.Join(s, ", ") }

// Ended says whether month p has ended at now: its end (midnight after its last day,
// Asia/Shanghai) has come. A month is closed only once it has ended (ErrNotEnded).
func Ended(p calendar.Period, now time.Time) bool { return !now.Before(p.End()) }
