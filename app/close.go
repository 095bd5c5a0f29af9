package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloudbill/access"
	"cloudbill/internal/calendar"
	"cloudbill/metering/pull"
	"cloudbill/monthclose"
	"cloudbill/statements"
)

// ErrIncomplete: collectors' windows of the month are missing and the close was not
// allowed to go on without them (CloseRequest.AllowIncomplete). The error is an
// *IncompleteError.
var ErrIncomplete = errors.New("collector windows missing")

// IncompleteError is the refusal of a month whose collector windows are missing.
type IncompleteError struct {
	Period calendar.Period
	// Windows is the number of missing windows; Missing describes them, one entry per
	// vendor and metric (pull.Incomplete); Mappings are those vendors' and metrics'
	// completeness, for a page to render.
	Windows  int
	Missing  []string
	Mappings []pull.MappingStatus
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("close %s refused: %d collector windows missing:\n  %s\ncollect them (cloudbill collect), or close anyway with --allow-incomplete (recorded)",
		e.Period, e.Windows, strings.Join(e.Missing, "\n  "))
}

// Is makes errors.Is(err, ErrIncomplete) hold.
func (e *IncompleteError) Is(target error) bool { return target == ErrIncomplete }

// CloseRequest is a close of one month.
type CloseRequest struct {
	Period calendar.Period
	// AllowPending closes although some vendors' acceptance is pending (recorded in the
	// close).
	AllowPending bool
	// AllowIncomplete closes although collectors' windows of the month are missing
	// (recorded in collect_incomplete_closes).
	AllowIncomplete bool
	// By names who closes: "cli", "schedule", "portal:<login>".
	By string
	// Wait is how long to wait while another process closes the same month (0: fail at
	// once with monthclose.ErrBeingClosed).
	Wait time.Duration
	// Issue writes and archives the month's final statements after closing it (under
	// Config.StatementsDir).
	Issue bool
	// Who is the audit log's account of who asks (Actor, Role, Remote); an empty Actor
	// is By. Close records every close, done or refused, in the audit log, whichever way
	// it came in (the command line, the scheduler, the portal).
	Who access.Event
}

// CloseResult says what Close did.
type CloseResult struct {
	monthclose.Result
	// Incomplete is set when the month was closed with collector windows missing
	// (AllowIncomplete); the override is recorded.
	Incomplete *IncompleteError
	// Statements is what was issued after the close (CloseRequest.Issue); IssueErr is why
	// they could not be: the month is closed all the same.
	Statements *statements.Summary
	IssueErr   error
}

// Close closes (freezes) a month for whoever asks, with the same refusals for all:
//   - collectors' windows of the month missing (an *IncompleteError, ErrIncomplete),
//     unless AllowIncomplete; a month already closed is not refused for them;
//   - then monthclose.Close's: the month has not ended, was never rated, a vendor's
//     acceptance is pending (unless AllowPending), another process is closing it, the
//     frozen lines of a closed month no longer hash as recorded.
//
// A close made with windows missing is recorded (RecordIncompleteClose) with the close
// time and req.By. Closing a closed month writes nothing. With req.Issue the final
// statements are issued and archived after the close; a failure there is reported in
// CloseResult.IssueErr, not as Close's error. Every close, done or refused, is in the
// audit log (action close, detail CloseResult.AuditDetail or CloseRefusalDetail).
func (a *App) Close(ctx context.Context, req CloseRequest) (CloseResult, error) {
	res, err := a.close(ctx, req)
	e := req.Who
	if e.Actor == "" {
		e.Actor = req.By
	}
	e.At, e.Action, e.Target = a.Now(), "close", req.Period.String()
	if err != nil {
		e.Outcome, e.Detail = "refused", CloseRefusalDetail(err)
		if aerr := a.cfg.Store.AppendAudit(context.WithoutCancel(ctx), e); aerr != nil {
			return res, fmt.Errorf("%w (and its refusal was not audited: %v)", err, aerr)
		}
		return res, err
	}
	e.Outcome, e.Detail = "ok", res.AuditDetail()
	if aerr := a.cfg.Store.AppendAudit(context.WithoutCancel(ctx), e); aerr != nil {
		return res, fmt.Errorf("%s closed, but the close was not audited: %w", req.Period, aerr)
	}
	return res, nil
}

func (a *App) close(ctx context.Context, req CloseRequest) (CloseResult, error) {
	p := req.Period
	inc, err := a.MissingWindows(ctx, p)
	if err != nil {
		return CloseResult{}, err
	}
	if inc != nil && !req.AllowIncomplete {
		_, closed, err := a.cfg.Store.CloseOf(ctx, p)
		if err != nil {
			return CloseResult{}, err
		}
		if !closed {
			return CloseResult{}, inc
		}
	}
	res, err := monthclose.Close(ctx, a.cfg.Store, p, monthclose.Options{
		AllowPending: req.AllowPending, Now: a.cfg.Now, ClosedBy: req.By, Wait: req.Wait})
	if err != nil {
		return CloseResult{}, err
	}
	out := CloseResult{Result: res}
	if inc != nil && !res.Already {
		if err := a.cfg.Store.RecordIncompleteClose(ctx, p, res.Close.ClosedAt, req.By, inc.Windows, strings.Join(inc.Missing, "\n")); err != nil {
			return out, err
		}
		out.Incomplete = inc
	}
	if req.Issue && a.cfg.StatementsDir != "" {
		sm, err := a.IssueStatements(context.WithoutCancel(ctx), p, IssueOptions{})
		if err != nil {
			out.IssueErr = err
		} else {
			out.Statements = &sm
		}
	}
	return out, nil
}

// MissingWindows tells which collectors' windows of month p are missing by the clock
// (nil: none, or no collector configured).
func (a *App) MissingWindows(ctx context.Context, p calendar.Period) (*IncompleteError, error) {
	sts, err := pull.Completeness(ctx, a.cfg.Store, p, a.cfg.Now(), "")
	if err != nil {
		return nil, err
	}
	n := pull.Missing(sts)
	if n == 0 {
		return nil, nil
	}
	inc := &IncompleteError{Period: p, Windows: n, Missing: pull.Incomplete(sts)}
	for _, s := range sts {
		if !s.Complete() {
			inc.Mappings = append(inc.Mappings, s)
		}
	}
	return inc, nil
}
