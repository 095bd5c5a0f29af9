package idle

import (
	"bytes"
	"cloudbill/internal/csvout"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// ConfigStore stores redundancy ratio versions.
type ConfigStore interface {
	IdleConfig(ctx context.Context) (Config, error)
	InsertIdleVersions(ctx context.Context, imp catalog.Import, vs []Version) error
}

// ConfigReport says what a configuration import did.
type ConfigReport struct {
	Import  catalog.Import
	Added   []Version
	Present int
}

// ImportConfig reads a redundancy configuration file (ParseConfig) and stores its new
// versions, all or none. Importing the same file again stores nothing.
func ImportConfig(ctx context.Context, st ConfigStore, name string, r io.Reader, now time.Time) (ConfigReport, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return ConfigReport{}, fmt.Errorf("read %s: %w", name, err)
	}
	stored, err := st.IdleConfig(ctx)
	if err != nil {
		return ConfigReport{}, err
	}
	added, present, err := ParseConfig(name, bytes.NewReader(b), stored)
	if err != nil {
		return ConfigReport{}, err
	}
	rep := ConfigReport{Added: added, Present: present}
	if len(added) == 0 {
		return rep, nil
	}
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	rep.Import = catalog.Import{ID: fmt.Sprintf("idle-config-%s-%s", now.UTC().Format("20060102T150405.000000000"), h[:8]),
		Kind: "idle-config", File: name, SHA256: h, Rows: len(added), At: now.UTC()}
	for i := range added {
		added[i].ImportID = rep.Import.ID
	}
	if err := st.InsertIdleVersions(ctx, rep.Import, added); err != nil {
		return ConfigReport{}, err
	}
	return rep, nil
}

// analysisColumns are the CSV columns of `idle analyze --format csv`: the docs/idle.md
// contract first, then more.
var analysisColumns = []string{"department_id", "kind", "resource_id", "order_id", "allocated", "p95_util", "used", "status",
	"recommended_quantity", "monthly_saving",
	"parent_department_id", "item_code", "zone", "unit_price", "days_with_data", "samples", "expected_samples", "excluded_samples",
	"department_idle_ratio", "redundancy_ratio", "department_over"}

func dec(d decimal.Decimal, places int32) string {
	return d.Round(places).String()
}

// WriteCSV writes one row per resource considered.
func WriteCSV(w io.Writer, a Analysis) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(analysisColumns); err != nil {
		return err
	}
	groups := map[groupKey]Group{}
	for _, g := range a.Groups {
		groups[groupKey{g.Department, g.Kind}] = g
	}
	for _, r := range a.Rows {
		g := groups[groupKey{r.Department, r.Kind}]
		rec, saving, p95, used := "", "", "", ""
		if r.Status == StatusReduce {
			rec, saving = r.Recommended.String(), money.Plain(r.Saving)
		}
		if r.Status != StatusInsufficient {
			p95, used = dec(r.P95Util, 4), dec(r.Used, 4)
		}
		if err := cw.Write([]string{string(r.Department), string(r.Kind), string(r.Resource.Resource), string(r.Order), r.Allocated.String(),
			p95, used, string(r.Status), rec, saving,
			string(r.Parent), string(r.Item), string(r.Zone), r.UnitPrice.String(), strconv.Itoa(r.Days), strconv.Itoa(r.Samples),
			strconv.Itoa(r.Expected), strconv.Itoa(r.Excluded), dec(g.IdleRatio, 4), g.Ratio.String(), strconv.FormatBool(g.Over)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// jsonAnalysis is the JSON form of an analysis.
type jsonAnalysis struct {
	Date            calendar.Date `json:"date"`
	From            calendar.Date `json:"window_from"`
	To              calendar.Date `json:"window_to"`
	SampleInterval  int           `json:"sample_interval_seconds"`
	DepartmentsOver int           `json:"departments_over"`
	MonthlySaving   string        `json:"monthly_saving"`
	Excluded        int           `json:"excluded_samples"`
	Skipped         Skipped       `json:"skipped_orders"`
	Groups          []jsonGroup   `json:"departments"`
}

type jsonGroup struct {
	Department     string          `json:"department_id"`
	Parent         string          `json:"parent_department_id,omitempty"`
	Kind           Kind            `json:"kind"`
	Ratio          decimal.Decimal `json:"redundancy_ratio"`
	IdleRatio      string          `json:"idle_ratio"`
	Over           bool            `json:"over"`
	Allocated      decimal.Decimal `json:"allocated"`
	Used           string          `json:"used"`
	Counted        int             `json:"resources_counted"`
	Insufficient   int             `json:"resources_insufficient_data"`
	AllocatedAfter decimal.Decimal `json:"allocated_after"`
	IdleRatioAfter string          `json:"idle_ratio_after"`
	WithinAfter    bool            `json:"within_ratio_after"`
	Saving         string          `json:"monthly_saving"`
	Resources      []jsonRow       `json:"resources"`
}

type jsonRow struct {
	Order       string          `json:"order_id"`
	Resource    string          `json:"resource_id"`
	Item        string          `json:"item_code"`
	Zone        string          `json:"zone"`
	Allocated   decimal.Decimal `json:"allocated"`
	P95Util     string          `json:"p95_util,omitempty"`
	Used        string          `json:"used,omitempty"`
	Days        int             `json:"days_with_data"`
	Samples     int             `json:"samples"`
	Expected    int             `json:"expected_samples"`
	Excluded    int             `json:"excluded_samples"`
	Status      Status          `json:"status"`
	Recommended string          `json:"recommended_quantity,omitempty"`
	Saving      string          `json:"monthly_saving,omitempty"`
}

// WriteJSON writes the analysis as one JSON document, departments and their resources.
func WriteJSON(w io.Writer, r Result) error {
	a := r.Analysis
	out := jsonAnalysis{Date: a.Date, From: a.From, To: a.To, SampleInterval: int(a.SampleInterval), DepartmentsOver: a.DepartmentsOver(),
		MonthlySaving: money.Plain(a.Saving()), Excluded: a.Excluded, Skipped: r.Skipped, Groups: []jsonGroup{}}
	for _, g := range a.Groups {
		jg := jsonGroup{Department: string(g.Department), Parent: string(g.Parent), Kind: g.Kind, Ratio: g.Ratio, IdleRatio: dec(g.IdleRatio, 6),
			Over: g.Over, Allocated: g.Allocated, Used: dec(g.Used, 6), Counted: g.Counted, Insufficient: g.Insufficient,
			AllocatedAfter: g.AllocatedAfter, IdleRatioAfter: dec(g.IdleRatioAfter, 6), WithinAfter: g.WithinAfter, Saving: money.Plain(g.Saving)}
		for _, row := range a.RowsOf(g.Department, g.Kind) {
			jr := jsonRow{Order: string(row.Order), Resource: string(row.Resource.Resource), Item: string(row.Item), Zone: string(row.Zone),
				Allocated: row.Allocated, Days: row.Days, Samples: row.Samples, Expected: row.Expected, Excluded: row.Excluded, Status: row.Status}
			if row.Status != StatusInsufficient {
				jr.P95Util, jr.Used = dec(row.P95Util, 4), dec(row.Used, 4)
			}
			if row.Status == StatusReduce {
				jr.Recommended, jr.Saving = row.Recommended.String(), money.Plain(row.Saving)
			}
			jg.Resources = append(jg.Resources, jr)
		}
		out.Groups = append(out.Groups, jg)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteTable writes the summary for people: totals, then the departments over their ratio
// (most saving first) with the resources to reduce.
func WriteTable(w io.Writer, r Result) error {
	a := r.Analysis
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	counted, insufficient := 0, 0
	for _, row := range a.Rows {
		if row.Status == StatusInsufficient {
			insufficient++
		} else {
			counted++
		}
	}
	fmt.Fprintf(tw, "idle analysis of %s (window %s … %s, one sample every %ds expected)\n", a.Date, a.From, a.To, a.SampleInterval)
	fmt.Fprintf(tw, "resources: %d counted, %d insufficient data; samples excluded (outside 0–100): %d\n", counted, insufficient, a.Excluded)
	if r.Skipped.NoResource+r.Skipped.NoPrice > 0 {
		fmt.Fprintf(tw, "orders left out: %d without resource_id, %d without a price in their zone\n", r.Skipped.NoResource, r.Skipped.NoPrice)
	}
	fmt.Fprintf(tw, "departments over their redundancy ratio: %d; monthly saving found: %s CNY\n\n", a.DepartmentsOver(), money.Grouped(a.Saving()))
	over := a.Over()
	sort.SliceStable(over, func(i, j int) bool { return over[i].Saving.GreaterThan(over[j].Saving) })
	if len(over) == 0 {
		return tw.Flush()
	}
	fmt.Fprintln(tw, "department\tparent\tkind\tallocated\tused\tidle\tratio\tafter\tidle after\tsaving/month")
	for _, g := range over {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Department, g.Parent, g.Kind, g.Allocated, dec(g.Used, 2),
			pct(g.IdleRatio), pct(g.Ratio), g.AllocatedAfter, pct(g.IdleRatioAfter), money.Grouped(g.Saving))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "department\tkind\torder\tresource\tallocated\tp95 %\tused\t→ quantity\tsaving/month")
	for _, g := range over {
		for _, row := range a.RowsOf(g.Department, g.Kind) {
			if row.Status != StatusReduce {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Department, row.Kind, row.Order, row.Resource.Resource, row.Allocated,
				dec(row.P95Util, 2), dec(row.Used, 2), row.Recommended, money.Grouped(row.Saving))
		}
	}
	return tw.Flush()
}

// pct formats a ratio as a percentage with one decimal.
func pct(r decimal.Decimal) string { return r.Mul(decimal.NewFromInt(100)).StringFixed(1) + "%" }

// Writer is the writer of an analysis in format "table", "csv" or "json"; false for
// another format.
func Writer(format string) (func(io.Writer, Result) error, bool) {
	switch format {
	case "table":
		return WriteTable, true
	case "csv":
		return func(w io.Writer, r Result) error { return WriteCSV(w, r.Analysis) }, true
	case "json":
		return WriteJSON, true
	}
	return nil, false
}
