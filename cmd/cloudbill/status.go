package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	usecase "cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/metering"
	"cloudbill/schedule/jobrun"
	"cloudbill/sql"
)

func statusCommand() *command {
	return &command{
		Name:  "status",
		Usage: "[--period YYYY-MM] [--format table|json]",
		Short: "show each month's state, the last jobs and imports, the spool backlog",
		Long:  statusHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "show only this month")
			format := fs.Format("table", "json")
			return func(ctx context.Context, a *app, _ []string) error {
				return runStatus(ctx, a, period.Or(calendar.Period{}), *format)
			}
		},
	}
}

const statusHelp = `
Shows, for the operator on the morning of a month-end:

  months    each month's state: open (not rated), rated (when, by which run, the
            fingerprint of the inputs it read, lines and total), pending acceptance (rated,
            with vendors whose acceptance record is missing: it cannot close without
            --allow-pending), being closed (by whom, since when), closed (when, by whom,
            content hash; acceptance pending allowed when it was);
  jobs      the last runs of the scheduled jobs (serve) with their outcome;
  imports   the last imports of master data and acceptance records;
  spool     the sample batches waiting in DATA-DIR/spool for ClickHouse.

Without --period: every month rated or closed, and the previous and current months.
With --period: that month, and its job runs. It only reads: nothing is changed.`

// statusReport is what status shows (also its JSON form).
type statusReport struct {
	AsOf       time.Time      `json:"as_of"`
	ClickHouse string         `json:"clickhouse"`
	Months     []monthStatus  `json:"months"`
	Jobs       []jobStatus    `json:"jobs"`
	Imports    []importStatus `json:"imports"`
	Spool      spoolStatus    `json:"spool"`
}

type monthStatus struct {
	Period        string        `json:"period"`
	State         usecase.State `json:"state"`
	Rated         *ratedStatus  `json:"rated,omitempty"`
	Closed        *closedStatus `json:"closed,omitempty"`
	BeingClosedBy string        `json:"being_closed_by,omitempty"`
}

type ratedStatus struct {
	At          time.Time `json:"at"`
	RunID       string    `json:"run_id"`
	Fingerprint string    `json:"fingerprint"`
	Lines       int       `json:"lines"`
	Total       string    `json:"total"`
	Pending     []string  `json:"pending_acceptance"`
	Exceptions  int       `json:"exceptions"`
}

type closedStatus struct {
	At           time.Time `json:"at"`
	By           string    `json:"by"`
	RunID        string    `json:"run_id"`
	ContentHash  string    `json:"content_hash"`
	Lines        int       `json:"lines"`
	Total        string    `json:"total"`
	AllowPending bool      `json:"allow_pending"`
	Pending      []string  `json:"pending_acceptance"`
}

type jobStatus struct {
	Job        string    `json:"job"`
	Period     string    `json:"period"`
	Trigger    string    `json:"trigger"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Status     string    `json:"status"`
	Detail     string    `json:"detail,omitempty"`
	Error      string    `json:"error,omitempty"`
}

type importStatus struct {
	Kind   string    `json:"kind"`
	File   string    `json:"file"`
	Rows   int       `json:"rows"`
	At     time.Time `json:"at"`
	SHA256 string    `json:"sha256"`
}

type spoolStatus struct {
	Dir     string     `json:"dir"`
	Batches int        `json:"batches"`
	Bytes   int64      `json:"bytes"`
	Oldest  *time.Time `json:"oldest,omitempty"`
}

// statusLast is how many job runs and imports status shows.
const statusLast = 10

func runStatus(ctx context.Context, a *app, only calendar.Period, format string) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	rep, err := buildStatus(ctx, a, s, only)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printStatus(a.stdout, rep)
	return nil
}

func buildStatus(ctx context.Context, a *app, s *chstore.Store, only calendar.Period) (statusReport, error) {
	now := a.now()
	rep := statusReport{AsOf: now.UTC().Truncate(time.Second), ClickHouse: a.clickhouseName()}
	uc, err := a.useCases(ctx)
	if err != nil {
		return rep, err
	}
	// every month rated or closed, and the previous and current months; or only one
	cur := calendar.LocalDate(now).Period()
	also := []calendar.Period{cur.Prev(), cur}
	if only != (calendar.Period{}) {
		also = []calendar.Period{only}
	}
	months, err := uc.Months(ctx, also...)
	if err != nil {
		return rep, err
	}
	for i := len(months) - 1; i >= 0; i-- { // oldest first
		mo := months[i]
		if only != (calendar.Period{}) && mo.Period != only {
			continue
		}
		m := monthStatus{Period: mo.Period.String(), State: mo.State}
		if c := mo.Close; c != nil {
			m.Closed = &closedStatus{At: c.ClosedAt.UTC(), By: c.ClosedBy, RunID: c.RunID, ContentHash: c.ContentHash,
				Lines: c.Lines, Total: c.Total.StringFixed(2), AllowPending: c.AllowPending, Pending: vendorStrings(c.Pending)}
		}
		run, rated, err := uc.RunOf(ctx, mo)
		if err != nil {
			return rep, err
		}
		if rated {
			m.Rated = &ratedStatus{At: run.RatedAt.UTC(), RunID: run.ID, Fingerprint: run.Fingerprint, Lines: run.Lines,
				Total: run.Total.StringFixed(2), Pending: vendorStrings(run.Pending), Exceptions: len(run.Exceptions)}
		}
		if cl := mo.Claim; cl != nil {
			m.BeingClosedBy = fmt.Sprintf("%s on %s (pid %d) since %s UTC", cl.Holder, cl.Host, cl.PID, cl.Since)
		}
		rep.Months = append(rep.Months, m)
	}

	runs, err := s.JobRuns(ctx, "")
	if err != nil {
		return rep, err
	}
	var jobs []jobStatus
	for _, r := range runs {
		if only != (calendar.Period{}) && r.Period != only {
			continue
		}
		jobs = append(jobs, jobStatus{Job: r.Job, Period: r.Period.String(), Trigger: r.Trigger, StartedAt: r.StartedAt.UTC(),
			FinishedAt: r.FinishedAt.UTC(), Status: string(r.Status), Detail: jobrun.DetailEnglish(r.Detail), Error: r.Error})
	}
	rep.Jobs = lastN(jobs, statusLast)
	if rep.Jobs == nil {
		rep.Jobs = []jobStatus{}
	}

	imps, err := s.Imports(ctx, "")
	if err != nil {
		return rep, err
	}
	rep.Imports = []importStatus{}
	for _, im := range lastN(imps, statusLast) {
		rep.Imports = append(rep.Imports, importStatus{Kind: im.Kind, File: im.File, Rows: im.Rows, At: im.At.UTC(), SHA256: im.SHA256})
	}

	dir := filepath.Join(a.dataDir, "spool")
	bl, err := metering.SpoolBacklog(dir)
	if err != nil {
		return rep, err
	}
	rep.Spool = spoolStatus{Dir: dir, Batches: bl.Batches, Bytes: bl.Bytes}
	if !bl.Oldest.IsZero() {
		o := bl.Oldest.UTC().Truncate(time.Second)
		rep.Spool.Oldest = &o
	}
	return rep, nil
}

func lastN[T any](xs []T, n int) []T {
	if len(xs) > n {
		return xs[len(xs)-n:]
	}
	return xs
}

func printStatus(w io.Writer, rep statusReport) {
	local := func(t time.Time) string { return t.In(calendar.Shanghai()).Format("2006-01-02 15:04") }
	short := func(h string) string {
		if len(h) > 16 {
			return h[:16] + "…"
		}
		return h
	}
	fmt.Fprintf(w, "cloudbill status at %s Asia/Shanghai, ClickHouse %s\n\nmonths\n", local(rep.AsOf), rep.ClickHouse)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, m := range rep.Months {
		var what []string
		if c := m.Closed; c != nil {
			s := fmt.Sprintf("closed %s by %s: %d lines, total %s, content hash %s", local(c.At), c.By, c.Lines, money.Grouped(mustDec(c.Total)), c.ContentHash)
			if c.AllowPending {
				s += fmt.Sprintf("; closed with acceptance pending for %s (allowed)", strings.Join(c.Pending, ", "))
			}
			what = append(what, s)
		}
		if r := m.Rated; r != nil && m.Closed == nil {
			s := fmt.Sprintf("rated %s: run %s, %d lines, total %s, inputs fingerprint %s", local(r.At), r.RunID, r.Lines, money.Grouped(mustDec(r.Total)), short(r.Fingerprint))
			if len(r.Pending) > 0 {
				s += "; acceptance pending for " + strings.Join(r.Pending, ", ")
			}
			if r.Exceptions > 0 {
				s += fmt.Sprintf("; %d exceptions", r.Exceptions)
			}
			what = append(what, s)
		}
		if m.BeingClosedBy != "" {
			what = append(what, "being closed by "+m.BeingClosedBy)
		}
		if len(what) == 0 {
			what = append(what, "not rated")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Period, strings.ReplaceAll(string(m.State), "_", " "), strings.Join(what, "; "))
	}
	tw.Flush()

	fmt.Fprintln(w, "\nlast job runs")
	if len(rep.Jobs) == 0 {
		fmt.Fprintln(w, "  none (jobs run inside cloudbill serve)")
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, j := range rep.Jobs {
		what := j.Detail
		if j.Error != "" {
			what = j.Error
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", local(j.StartedAt), j.Job, j.Period, j.Trigger, j.Status, what)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nlast imports")
	if len(rep.Imports) == 0 {
		fmt.Fprintln(w, "  none")
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, im := range rep.Imports {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d rows\tsha256 %s\n", local(im.At), im.Kind, im.File, im.Rows, short(im.SHA256))
	}
	tw.Flush()

	fmt.Fprintln(w, "\nspool")
	if rep.Spool.Batches == 0 {
		fmt.Fprintf(w, "  empty (%s)\n", rep.Spool.Dir)
	} else {
		fmt.Fprintf(w, "  %d batches, %d bytes waiting in %s, the oldest from %s: they are replayed when ClickHouse answers (by serve or ingest)\n",
			rep.Spool.Batches, rep.Spool.Bytes, rep.Spool.Dir, local(*rep.Spool.Oldest))
	}
}

// clickhouseName names the server in use without its password.
func (a *app) clickhouseName() string {
	if a.server != nil {
		return fmt.Sprintf("embedded %s (data in %s)", a.server.Addr, filepath.Join(a.dataDir, "clickhouse"))
	}
	if cfg, err := chstore.ParseDSN(a.dsn); err == nil {
		return cfg.Addr + "/" + cfg.Database
	}
	return "?"
}

func vendorStrings(vs []catalog.VendorID) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func mustDec(s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero
	}
	return d
}
