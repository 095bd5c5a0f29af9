package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	usecase "cloudbill/app"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	chstore "cloudbill/sql"
)

const idleExplain = `
Idle cloud resources (§12–13 of the notice): the departments whose idle vCPU or memory
exceeds the redundancy ratio, reminded with a deadline one calendar month later, and each
case followed until the configuration is reduced or the deadline passes. See docs/idle.md
for the rules.`

func idleCommand() *command {
	return &command{
		Name:  "idle",
		Usage: "analyze | config | cases | follow | reminders | overdue | deliver",
		Short: "idle resources: analysis, redundancy ratios, cases, reminders, downsizing list",
		Long:  idleExplain,
		Subs: []*command{
			idleAnalyzeCommand(),
			{
				Name:  "config",
				Usage: "import FILE | show",
				Short: "redundancy ratios with effective dates",
				Long:  idleConfigExplain,
				Subs: []*command{
					{Name: "import", Usage: "FILE", Short: "import redundancy ratio versions", Long: idleConfigExplain, Args: "FILE",
						Flags: func(fs *flagSet) runFunc { return idleConfigImport }},
					{Name: "show", Short: "list the stored versions", Long: idleConfigExplain,
						Flags: func(fs *flagSet) runFunc { return idleConfigShow }},
				},
			},
			{
				Name:  "cases",
				Usage: "list | show CASE_ID",
				Short: "the cases and their evidence",
				Long:  idleCasesExplain,
				Subs: []*command{
					{Name: "list", Usage: "[--state open|resolved|overdue] [--department ID]", Short: "list the cases with their state", Long: idleCasesExplain,
						Flags: func(fs *flagSet) runFunc {
							state := fs.String("state", "", "only cases in this `state` (open, resolved, overdue)")
							dep := fs.String("department", "", "only the cases of this department `id`")
							return func(ctx context.Context, a *app, _ []string) error { return idleCasesList(ctx, a, *state, *dep) }
						}},
					{Name: "show", Usage: "CASE_ID", Short: "a case, its evidence and webhook deliveries", Long: idleCasesExplain, Args: "CASE_ID",
						Flags: func(fs *flagSet) runFunc {
							return func(ctx context.Context, a *app, args []string) error { return idleCasesShow(ctx, a, args[0]) }
						}},
				},
			},
			{
				Name:  "follow",
				Usage: "[--date YYYY-MM-DD]",
				Short: "resolve or mark overdue the open cases",
				Long: `
Follows the open cases on --date: a case whose orders reached the recommended total on or
before its deadline (confirmed changes and terminations, as imported) is resolved; one
past its deadline without it becomes overdue and goes on the bureau's downsizing list
("idle overdue"). serve runs this daily. Running it again on the same date changes nothing.`,
				Flags: func(fs *flagSet) runFunc {
					date := fs.Date("date", "the follow-up day (default: today, Asia/Shanghai)")
					return func(ctx context.Context, a *app, _ []string) error {
						return idleFollow(ctx, a, date.Or(calendar.LocalDate(a.now())))
					}
				},
			},
			{
				Name:  "reminders",
				Usage: "--out DIR [--date YYYY-MM-DD] [--all]",
				Short: "the Chinese PDF and CSV reminder of each department",
				Long: `
Writes the reminder of every department with open cases: DIR/<reminder date>/<department
id>.pdf (Chinese: what, why, by when, the saving; a subordinate unit's reminder names its
主管部门, which is sent a copy) and .csv (the resources to reduce). --date: only the
reminders of that date; --all: also resolved and overdue cases.`,
				Flags: func(fs *flagSet) runFunc {
					out := fs.String("out", "", "output `directory`")
					date := fs.Date("date", "only the reminders of this day")
					all := fs.Bool("all", false, "also the cases no longer open")
					font := fs.String("font", "", "TrueType CJK font `file` (default: Debian's gbsn00lp.ttf)")
					fs.Require("out")
					return func(ctx context.Context, a *app, _ []string) error {
						// Typesetting allocates a compressor for each stream of each PDF, on a
						// small live heap: collecting at 5× it instead of 2× cut the city
						// month's reminders from 11.6–13.8 s of CPU to 10.2–10.3 s (load 15),
						// at about 310 MB resident instead of 122 MB.
						defer batchGC(400, batchMemoryLimit)()
						uc, err := a.useCases(ctx)
						if err != nil {
							return err
						}
						n, err := uc.WriteReminders(ctx, usecase.Reminders{Dir: *out, FontPath: *font, Only: date.Or(calendar.Date{}), All: *all})
						if err != nil {
							return err
						}
						fmt.Fprintf(a.stdout, "idle reminders: %d departments, files in %s\n", n, *out)
						return nil
					}
				},
			},
			{
				Name:  "overdue",
				Usage: "[--out FILE] [--date YYYY-MM-DD]",
				Short: "the bureau's downsizing list, as work-order change requests",
				Long: `
Exports the bureau's downsizing list: for every overdue case, each order it named that is
still above its recommended quantity on --date, as a work-order change to that quantity
effective --date. The file has the columns of a work-order event file (order_id, event,
effective_date, department_id, project_id, vendor_id, zone, item_code, quantity,
resource_id, portion) plus x_case_id, x_deadline, x_current_quantity: the multi-cloud
management system applies it, and once confirmed "orders import" takes the same file.
"-" (the default) writes to standard output.`,
				Flags: func(fs *flagSet) runFunc {
					out := fs.String("out", "-", "output `file` (- for standard output)")
					date := fs.Date("date", "the effective day of the changes (default: today, Asia/Shanghai)")
					return func(ctx context.Context, a *app, _ []string) error {
						return idleOverdue(ctx, a, *out, date.Or(calendar.LocalDate(a.now())))
					}
				},
			},
			{
				Name:  "deliver",
				Usage: "--webhook URL [--webhook-credentials-file FILE]",
				Short: "post the case events not yet delivered to the webhook",
				Long: `
Posts every case event not yet delivered (idle.case.open at the reminder,
idle.case.resolved, idle.case.overdue) as JSON to the multi-cloud management system's
webhook, with an Idempotency-Key header (case id / event number). Each attempt is recorded
(idle cases show). A 2xx answer delivers the event: it is never sent again. A network
error, 5xx, 408 or 429 is tried again (3 times in a run, then in the next run, at most 20
times in all); another 4xx rejects the event: it is not retried. serve delivers after each
of its idle jobs when given --idle-webhook. Exit status 1 when an event is left undelivered.

No redirect is followed: a 3xx answer rejects the event (recorded with the Location it
named), it is never counted as delivered; only http and https URLs are accepted. The
webhook's credentials are a secret of their own: --webhook-credentials-file FILE holds
"user:password" (HTTP basic authentication). Credentials written into the URL
(http://user:password@host/) are taken out of it and sent the same way; attempts record,
list and log the URL without them.`,
				Flags: func(fs *flagSet) runFunc {
					url := fs.String("webhook", "", "the webhook `URL`")
					creds := fs.String("webhook-credentials-file", "", "`file` holding the webhook's user:password (HTTP basic authentication)")
					fs.Require("webhook")
					return func(ctx context.Context, a *app, _ []string) error {
						wh, err := webhookOf(*url, *creds)
						if err != nil {
							return usagef("idle deliver: %v", err)
						}
						return idleDeliver(ctx, a, wh)
					}
				},
			},
		},
	}
}

const idleAnalyzeExplain = `
Analyses the 30 days ending on --date: for every work order in service that day with a
vCPU or memory item and a resource_id, the p95 utilisation (cpu_util, mem_util) and the
data coverage, computed in ClickHouse; per department and kind the idle ratio against the
redundancy ratio in force (imported with "idle config import", else 0.20); for the
departments over it, the resources to reduce, most idle first, each to the smallest
quantity offered that is at least used ÷ (1 − ratio), and the monthly saving at the prices
in force on --date in the order's zone.

A resource counts only with samples on at least 14 days and at least 80% of the expected
samples (one every --interval) on those days; otherwise its status is insufficient_data.
Samples above 100, below 0 or not finite are excluded and counted.

Unless --dry-run, a case is opened for every department and kind over its ratio (none
while one is open for it: the analysis is then added to its evidence), and the case
events wait for "idle deliver". Running the same date again changes nothing.

Formats: table (summary for people), csv (one row per resource considered; columns
department_id, kind, resource_id, order_id, allocated, p95_util, used, status,
recommended_quantity, monthly_saving, then more), json (departments with their resources).`

func idleAnalyzeCommand() *command {
	return &command{
		Name:  "analyze",
		Usage: "--date YYYY-MM-DD [--format table|csv|json] [--interval 15m] [--dry-run]",
		Short: "find the departments over their redundancy ratio and open their cases",
		Long:  idleAnalyzeExplain,
		Flags: func(fs *flagSet) runFunc {
			date := fs.Date("date", "the analysis day (default: today, Asia/Shanghai)")
			format := fs.Format("table", "csv", "json")
			interval := fs.Duration("interval", 15*time.Minute, "expected sample `interval` of cpu_util and mem_util")
			dry := fs.Bool("dry-run", false, "analyse only: open no case, record no evidence")
			return func(ctx context.Context, a *app, _ []string) error {
				iv, err := idle.IntervalOf(*interval)
				if err != nil {
					return usagef("idle analyze: --interval: %v", err)
				}
				return idleAnalyze(ctx, a, date.Or(calendar.LocalDate(a.now())), *format, iv, *dry)
			}
		},
	}
}

func idleAnalyze(ctx context.Context, a *app, d calendar.Date, format string, iv idle.Seconds, dry bool) error {
	write, ok := idle.Writer(format)
	if !ok {
		return usagef("idle analyze: --format %q: want table, csv or json", format)
	}
	uc, err := a.useCases(ctx)
	if err != nil {
		return err
	}
	res, rec, err := uc.AnalyzeIdle(ctx, usecase.IdleAnalysis{Date: d, Interval: iv, DryRun: dry})
	if err != nil {
		return err
	}
	if err := write(a.stdout, res); err != nil {
		return err
	}
	if !dry {
		fmt.Fprintf(a.stderr, "idle analyze: %d cases opened, evidence recorded for %d\n", len(rec.Opened), rec.Evidence)
	}
	fmt.Fprintf(a.stderr, "idle analyze: measured in ClickHouse in %.2fs\n", res.MeasureTime.Seconds())
	return nil
}

const idleConfigExplain = `
"idle config import FILE" imports redundancy ratios set by the municipal authority, as
versioned configuration. CSV columns: kind (vcpu or memory), effective (YYYY-MM-DD), ratio
(0 ≤ ratio < 1, e.g. 0.20); optional until (last day in force), sizes (the quantities the
platform offers, ascending, separated by |, e.g. 1|2|4|8|16|32|64; empty: every whole
unit), note. A version is in force from its effective date until the next version of its
kind (or its until). Refused whole, with file, line and column, for a ratio outside 0–1,
an unknown kind, a second version with the same kind and effective date, or overlapping
versions; a version already stored identically is skipped.

"idle config show" lists the stored versions.`

func idleConfigImport(ctx context.Context, a *app, args []string) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	f, err := os.Open(args[0])
	if err != nil {
		return &exitError{exitBadInput, err}
	}
	defer f.Close()
	rep, err := idle.ImportConfig(ctx, s, args[0], f, a.now())
	if err != nil {
		return a.refused(args[0], err)
	}
	fmt.Fprintf(a.stdout, "%s: %d versions imported, %d already present\n", args[0], len(rep.Added), rep.Present)
	for _, v := range rep.Added {
		fmt.Fprintf(a.stdout, "  %s\n", v)
	}
	return nil
}

func idleConfigShow(ctx context.Context, a *app, _ []string) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	cfg, err := s.IdleConfig(ctx)
	if err != nil {
		return err
	}
	if len(cfg.Versions) == 0 {
		fmt.Fprintf(a.stdout, "no redundancy ratio imported: %s for every kind\n", idle.DefaultRatio())
	}
	for _, v := range cfg.Versions {
		fmt.Fprintf(a.stdout, "%s (%s line %d)\n", v, v.File, v.Line)
	}
	return nil
}

const idleCasesExplain = `
"idle cases list" lists the cases (one per department, kind and reminder) with their state:
open, resolved (the orders reached the recommended total on or before the deadline) or
overdue (on the bureau's downsizing list). "idle cases show CASE_ID" prints a case, its
orders with the recommended quantities, every analysis recorded as evidence, and the
webhook delivery attempts.`

func idleCasesList(ctx context.Context, a *app, state, dep string) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	cases, err := s.Cases(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tdepartment\tparent\tkind\treminder\tdeadline\tstate\tsince\tallocated\ttarget\tsaving/month")
	for _, c := range cases {
		if (state != "" && string(c.State) != state) || (dep != "" && string(c.Department) != dep) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Department, c.Parent, c.Kind, c.Reminder, c.Deadline,
			c.State, c.StateOn, c.Allocated, c.Target, money.Grouped(c.Saving))
	}
	return tw.Flush()
}

func idleCasesShow(ctx context.Context, a *app, id string) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	cases, err := s.Cases(ctx)
	if err != nil {
		return err
	}
	for _, c := range cases {
		if string(c.ID) == id {
			return a.showCase(ctx, s, c)
		}
	}
	return &exitError{exitBadInput, fmt.Errorf("idle cases show: no case %q", id)}
}

func (a *app) showCase(ctx context.Context, s *chstore.Store, c idle.Case) error {
	w := a.stdout
	fmt.Fprintf(w, "case %s: department %s", c.ID, c.Department)
	if c.Parent != "" {
		fmt.Fprintf(w, " (主管部门 %s told)", c.Parent)
	}
	fmt.Fprintf(w, ", %s\nreminder %s, deadline %s, state %s since %s\n", c.Kind, c.Reminder, c.Deadline, c.State, c.StateOn)
	fmt.Fprintf(w, "idle ratio %s against %s; allocated %s, recommended total %s, saving %s a month\n\n",
		c.IdleRatio.StringFixed(4), c.Ratio, c.Allocated, c.Target, money.Grouped(c.Saving))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "order\tresource\titem\tzone\tallocated\trecommended\tsaving/month")
	for _, o := range c.Orders {
		rec, sav := "keep", ""
		if o.Named() {
			rec, sav = o.Recommended.String(), money.Grouped(o.Saving)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Order, o.Resource, o.Item, o.Zone, o.Allocated, rec, sav)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	evs, err := s.Evidence(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, e := range evs {
		fmt.Fprintf(w, "\nevidence of the analysis of %s: idle ratio %s (ratio %s), allocated %s, used %s\n", e.Analysis,
			e.Group.IdleRatio.StringFixed(4), e.Group.Ratio, e.Group.Allocated, e.Group.Used.StringFixed(4))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "order\tresource\tallocated\tp95 %\tused\tdays\tsamples\texpected\texcluded\tstatus\trecommended\tsaving")
		for _, r := range e.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Order, r.Resource.Resource, r.Allocated, r.P95Util.StringFixed(2),
				r.Used.StringFixed(4), r.Days, r.Samples, r.Expected, r.Excluded, r.Status, r.Recommended, r.Saving.StringFixed(2))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	ds, err := s.Deliveries(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(ds) > 0 {
		fmt.Fprintln(w, "\nwebhook deliveries:")
	}
	for _, d := range ds {
		fmt.Fprintf(w, "  %s attempt %d at %s: %s (HTTP %d) %s\n", d.Event, d.Attempt, d.At.UTC().Format(time.RFC3339), d.Outcome, d.StatusCode, d.Error)
	}
	return nil
}

func idleFollow(ctx context.Context, a *app, d calendar.Date) error {
	uc, err := a.useCases(ctx)
	if err != nil {
		return err
	}
	changed, err := uc.FollowIdle(ctx, d)
	if err != nil {
		return err
	}
	for _, c := range changed {
		fmt.Fprintf(a.stdout, "%s: %s on %s\n", c.ID, c.State, c.StateOn)
	}
	fmt.Fprintf(a.stdout, "idle follow %s: %d cases changed state\n", d, len(changed))
	return nil
}

func idleOverdue(ctx context.Context, a *app, out string, d calendar.Date) error {
	uc, err := a.useCases(ctx)
	if err != nil {
		return err
	}
	reqs, err := uc.DownsizingList(ctx, d)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := idle.WriteChangeRequests(&buf, reqs); err != nil {
		return err
	}
	if out == "-" {
		_, err = a.stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "idle overdue: %d change requests in %s\n", len(reqs), out)
	return nil
}

// webhookOf is the webhook at rawURL with the credentials of credFile ("user:password"
// on its first line; "" for none).
func webhookOf(rawURL, credFile string) (idle.Webhook, error) {
	wh := idle.Webhook{URL: rawURL}
	if err := wh.Validate(); err != nil {
		return wh, err
	}
	if credFile == "" {
		return wh, nil
	}
	b, err := os.ReadFile(credFile)
	if err != nil {
		return wh, fmt.Errorf("webhook credentials: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	user, password, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
	if !ok || user == "" {
		return wh, fmt.Errorf("webhook credentials %s: want user:password on the first line", credFile)
	}
	wh.User, wh.Password = user, password
	return wh, nil
}

func idleDeliver(ctx context.Context, a *app, wh idle.Webhook) error {
	if err := wh.Validate(); err != nil {
		return usagef("idle deliver: %v", err)
	}
	uc, err := a.useCases(ctx)
	if err != nil {
		return err
	}
	rep, err := uc.DeliverIdleEvents(ctx, wh)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "idle deliver: %d delivered, %d rejected, %d given up, %d waiting for a retry\n", rep.Delivered, rep.Rejected, rep.GaveUp, rep.Waiting)
	if rep.Rejected+rep.GaveUp+rep.Waiting > 0 {
		return &exitError{exitFailed, errors.New("some case events were not delivered (idle cases show CASE_ID lists the attempts)")}
	}
	return nil
}
