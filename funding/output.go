package funding

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
)

// Filter keeps the statuses of department dep and of its subordinate units ("" keeps all).
func (r YearReport) Filter(dep catalog.DepartmentID) YearReport {
	if dep == "" {
		return r
	}
	out := r
	out.Statuses = nil
	for _, s := range r.Statuses {
		if s.Department == dep || s.Parent == dep {
			out.Statuses = append(out.Statuses, s)
		}
	}
	return out
}

// budgetHeader is the CSV header of budgets show (docs/formats.md).
var budgetHeader = []string{"project_id", "name", "department_id", "parent_id", "category", "year", "budget", "spent", "forecast", "state", "state_label"}

func budgetText(s ProjectStatus) string {
	if !s.HasBudget {
		return ""
	}
	return money.Plain(s.Budget)
}

// Record is the CSV row of a status.
func (s ProjectStatus) Record() []string {
	return []string{string(s.Project), s.Name, string(s.Department), string(s.Parent), string(s.Category), strconv.Itoa(s.Year),
		budgetText(s), money.Plain(s.Spent), money.Plain(s.Forecast), string(s.State), Label(string(s.State))}
}

// WriteCSV writes one row per project.
func (r YearReport) WriteCSV(w io.Writer) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(budgetHeader); err != nil {
		return err
	}
	for _, s := range r.Statuses {
		if err := cw.Write(s.Record()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// JSONStatus is a project's figures in the JSON of budgets show and GET /api/v1/budgets.
type JSONStatus struct {
	ProjectID    string `json:"project_id"`
	Name         string `json:"name"`
	DepartmentID string `json:"department_id"`
	ParentID     string `json:"parent_id,omitempty"`
	Category     string `json:"category"`
	Year         int    `json:"year"`
	Budget       string `json:"budget"`
	Spent        string `json:"spent"`
	Forecast     string `json:"forecast"`
	State        string `json:"state"`
	StateLabel   string `json:"state_label"`
}

// JSON is the report as JSON values.
func (r YearReport) JSON() []JSONStatus {
	out := make([]JSONStatus, 0, len(r.Statuses))
	for _, s := range r.Statuses {
		rec := s.Record()
		out = append(out, JSONStatus{rec[0], rec[1], rec[2], rec[3], rec[4], s.Year, rec[6], rec[7], rec[8], rec[9], rec[10]})
	}
	return out
}

// WriteJSON writes {"year", "as_of", "projects": [...]}.
func (r YearReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Year     int          `json:"year"`
		AsOf     string       `json:"as_of"`
		Projects []JSONStatus `json:"projects"`
	}{r.Year, r.AsOf.String(), r.JSON()})
}

// WriteTable writes the projects grouped by 主管部门 and department, with subtotals.
func (r YearReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "budgets %d as of %s\t\t\t\t\t\t\n", r.Year, r.AsOf)
	fmt.Fprintln(tw, "parent\tdepartment\tproject\tbudget\tspent\tforecast\tstate\t")
	type tot struct{ b, s, f decimal.Decimal }
	var dep catalog.DepartmentID
	var sub tot
	flush := func() {
		if dep != "" {
			fmt.Fprintf(tw, "\t%s total\t\t%s\t%s\t%s\t\t\n", dep, money.Grouped(sub.b), money.Grouped(sub.s), money.Grouped(sub.f))
		}
	}
	var all tot
	for _, s := range r.Statuses {
		if s.Department != dep {
			flush()
			dep, sub = s.Department, tot{}
		}
		b := "-"
		if s.HasBudget {
			b = money.Grouped(s.Budget)
			sub.b, all.b = sub.b.Add(s.Budget), all.b.Add(s.Budget)
		}
		sub.s, sub.f = sub.s.Add(s.Spent), sub.f.Add(s.Forecast)
		all.s, all.f = all.s.Add(s.Spent), all.f.Add(s.Forecast)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s %s\t\n", s.Parent, s.Department, s.Project, b, money.Grouped(s.Spent), money.Grouped(s.Forecast), s.State, Label(string(s.State)))
	}
	flush()
	fmt.Fprintf(tw, "\ttotal\t\t%s\t%s\t%s\t\t\n", money.Grouped(all.b), money.Grouped(all.s), money.Grouped(all.f))
	for _, f := range r.Findings {
		fmt.Fprintf(tw, "finding: %s\t\t\t\t\t\t\t\n", f)
	}
	return tw.Flush()
}

// warningHeader is the CSV header of budgets warnings.
var warningHeader = []string{"year", "project_id", "department_id", "parent_id", "threshold", "threshold_label", "share", "budget", "spent", "forecast", "period", "run_id", "fired_at"}

// WriteWarningsCSV writes one row per warning.
func WriteWarningsCSV(w io.Writer, ws []Warning) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(warningHeader); err != nil {
		return err
	}
	for _, x := range ws {
		if err := cw.Write([]string{strconv.Itoa(x.Year), string(x.Project), string(x.Department), string(x.Parent), string(x.Threshold),
			Label(string(x.Threshold)), x.ShareText(), money.Plain(x.Budget), money.Plain(x.Spent), money.Plain(x.Forecast), x.Period, x.RunID,
			x.At.UTC().Format("2006-01-02T15:04:05Z")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
