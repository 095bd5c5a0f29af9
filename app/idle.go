package app

import (
	"context"
	"strconv"

	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/schedule/jobrun"
)

// IdleStore is what the idle use cases read and write: the analysis's inputs, the cases
// with their evidence, and the webhook deliveries of their events.
type IdleStore interface {
	idle.Reader
	idle.CaseStore
	idle.DeliveryStore
	// EvidenceOf is the recorded evidence of each of the cases ids, oldest first.
	EvidenceOf(ctx context.Context, ids []idle.CaseID) (map[idle.CaseID][]idle.Evidence, error)
}

// IdleAnalysis is an analysis of idle resources on one day.
type IdleAnalysis struct {
	// Date is the last day of the 30 days analysed.
	Date calendar.Date
	// Interval is the expected interval of cpu_util and mem_util samples.
	Interval idle.Seconds
	// DryRun analyses only: no case is opened, no evidence recorded.
	DryRun bool
}

// AnalyzeIdle analyses the idle resources of req.Date (idle.Run) and, unless
// req.DryRun, opens the cases it calls for and records its evidence (idle.Record). The
// same date analysed again changes nothing.
func (a *App) AnalyzeIdle(ctx context.Context, req IdleAnalysis) (idle.Result, idle.Recorded, error) {
	res, err := idle.Run(ctx, a.cfg.Store, req.Date, req.Interval)
	if err != nil || req.DryRun {
		return res, idle.Recorded{}, err
	}
	rec, err := idle.Record(ctx, a.cfg.Store, res.Analysis, a.cfg.Now())
	return res, rec, err
}

// FollowIdle follows the open idle cases on day d (idle.FollowUp): a case whose orders
// reached the recommended total by its deadline is resolved, one past it overdue. It
// returns the cases whose state changed; the same day again changes nothing.
func (a *App) FollowIdle(ctx context.Context, d calendar.Date) ([]idle.Case, error) {
	return idle.FollowUp(ctx, a.cfg.Store, a.cfg.Store, d, a.cfg.Now())
}

// Reminders picks the idle reminders to write.
type Reminders struct {
	// Dir is the output directory: Dir/<reminder date>/<department id>.pdf and .csv.
	Dir string
	// FontPath is the TrueType CJK font ("": the default font).
	FontPath string
	// Only: the reminders of that date (zero: every date); All: also the cases no longer
	// open.
	Only calendar.Date
	All  bool
}

// WriteReminders writes the reminder of every department with open cases (req says
// which) and returns the number of reminders written.
func (a *App) WriteReminders(ctx context.Context, req Reminders) (int, error) {
	cases, err := a.cfg.Store.Cases(ctx)
	if err != nil {
		return 0, err
	}
	var pick []idle.Case
	for _, c := range cases {
		if (req.All || c.State == idle.StateOpen) && (req.Only.IsZero() || c.Reminder == req.Only) {
			pick = append(pick, c)
		}
	}
	if len(pick) == 0 {
		return 0, nil
	}
	org, err := a.cfg.Store.Org(ctx)
	if err != nil {
		return 0, err
	}
	ids := make([]idle.CaseID, len(pick))
	for i, c := range pick {
		ids[i] = c.ID
	}
	evidence, err := a.cfg.Store.EvidenceOf(ctx, ids) // one query for all the cases, not one each
	if err != nil {
		return 0, err
	}
	rs := idle.Reminders(pick, org, func(id idle.CaseID) (idle.Evidence, bool) {
		es := evidence[id]
		if len(es) == 0 {
			return idle.Evidence{}, false
		}
		return es[0], true
	})
	font, err := a.font(req.FontPath)
	if err != nil {
		return 0, err
	}
	if err := idle.WriteReminderFiles(ctx, rs, req.Dir, font); err != nil {
		return 0, err
	}
	return len(rs), nil
}

// DownsizingList is the bureau's downsizing list on day d: for every overdue case, each
// order it named still above its recommended quantity, as a work-order change to that
// quantity effective d (idle.ChangeRequests).
func (a *App) DownsizingList(ctx context.Context, d calendar.Date) ([]idle.ChangeRequest, error) {
	cases, err := a.cfg.Store.Cases(ctx)
	if err != nil {
		return nil, err
	}
	events, err := idle.EventsByOrder(ctx, a.cfg.Store)
	if err != nil {
		return nil, err
	}
	return idle.ChangeRequests(cases, d, events), nil
}

// DeliverIdleEvents posts the idle case events not yet delivered to wh (idle.Webhook,
// on the App's clock).
func (a *App) DeliverIdleEvents(ctx context.Context, wh idle.Webhook) (idle.DeliverReport, error) {
	wh.Now = a.cfg.Now
	return wh.Deliver(ctx, a.cfg.Store)
}

// IdleAnalysisDetail says what an analysis did: its job run's detail (data,
// schedule.Detail).
func IdleAnalysisDetail(d calendar.Date, res idle.Result, rec idle.Recorded) string {
	return jobrun.Detail(jobrun.DetailIdleAnalysis, "date", d.String(), "over", strconv.Itoa(res.DepartmentsOver()),
		"saving", res.Saving().StringFixed(2), "opened", strconv.Itoa(len(rec.Opened)), "excluded", strconv.Itoa(res.Excluded))
}

// IdleFollowDetail says what a follow-up did: its job run's detail (data).
func IdleFollowDetail(d calendar.Date, changed []idle.Case) string {
	resolved, overdue := 0, 0
	for _, c := range changed {
		if c.State == idle.StateResolved {
			resolved++
		} else {
			overdue++
		}
	}
	return jobrun.Detail(jobrun.DetailIdleFollow, "date", d.String(), "resolved", strconv.Itoa(resolved), "overdue", strconv.Itoa(overdue))
}
