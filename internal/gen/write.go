package gen

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"cloudbill/internal/calendar"
	"cloudbill/internal/csvout"
)

// The headers of the files written, in the column names of FORMATS.md.
var (
	AdaptationsHeader = []string{"resource_type", "item_code", "note"}
	DepartmentsHeader = []string{"id", "name", "parent_id"}
	ProjectsHeader    = []string{"id", "name", "department_id", "year", "category", "approved"}
	VendorsHeader     = []string{"id", "name"}
	OrdersHeader      = []string{"order_id", "event", "effective_date", "department_id", "project_id", "vendor_id", "zone", "item_code", "quantity", "resource_id", "resource_type", "portion"}
	AcceptanceHeader  = []string{"vendor_id", "period", "result", "score", "availability", "security_valid_until"}
	SamplesHeader     = []string{"resource_id", "metric", "ts", "value", "source"}
)

// priceChanges are the mid-month catalog version's changes: one item cheaper, one dearer.
var priceChanges = []struct{ code, internet, extranet string }{
	{"C01", "36", "36"},     // vCPU 40 → 36
	{"X02", "85.5", "85.5"}, // 主机安全 80.3 → 85.5
}

// writeCatalogs writes the base catalog, in force from January 1 of the period's year,
// and the mid-month version, in force from the 16th of the period.
func (w *world) writeCatalogs(dir string) ([]CatalogFile, error) {
	base := w.yearStart
	mid := calendar.Date{Year: w.cfg.Period.Year, Month: w.cfg.Period.Month, Day: 16}
	col := map[string]int{}
	for i, h := range w.header {
		col[h] = i
	}
	var baseRows, midRows [][]string
	for _, it := range w.items {
		baseRows = append(baseRows, it.row)
		row := append([]string(nil), it.row...)
		for _, pc := range priceChanges {
			if pc.code != it.code {
				continue
			}
			if row[col["price_internet"]] != "" {
				row[col["price_internet"]] = pc.internet
			}
			if row[col["price_extranet"]] != "" {
				row[col["price_extranet"]] = pc.extranet
			}
		}
		midRows = append(midRows, row)
	}
	var out []CatalogFile
	for _, v := range []struct {
		eff  calendar.Date
		rows [][]string
	}{{base, baseRows}, {mid, midRows}} {
		name := "catalog-" + v.eff.String() + ".csv"
		if err := writeCSV(filepath.Join(dir, name), w.header, v.rows); err != nil {
			return nil, err
		}
		out = append(out, CatalogFile{File: name, Effective: v.eff})
	}
	return out, nil
}

// writeMaster writes adaptations, departments, projects, vendors, work-order events and
// acceptance records.
func (w *world) writeMaster(dir string) error {
	var rows [][]string
	for _, a := range adaptationTable {
		rows = append(rows, []string{a.rtype, a.item, a.note})
	}
	if err := writeCSV(filepath.Join(dir, adaptationsFile), AdaptationsHeader, rows); err != nil {
		return err
	}

	rows = rows[:0]
	for _, d := range w.depts {
		parent := ""
		if d.parent >= 0 {
			parent = w.depts[d.parent].id
		}
		rows = append(rows, []string{d.id, d.name, parent})
	}
	if err := writeCSV(filepath.Join(dir, departmentsFile), DepartmentsHeader, rows); err != nil {
		return err
	}

	rows = rows[:0]
	year := strconv.Itoa(w.cfg.Period.Year)
	for _, p := range w.projects {
		rows = append(rows, []string{p.id, p.name, w.depts[p.dept].id, year, p.category, strconv.FormatBool(p.approved)})
	}
	if err := writeCSV(filepath.Join(dir, projectsFile), ProjectsHeader, rows); err != nil {
		return err
	}

	rows = rows[:0]
	for _, v := range w.vendors {
		rows = append(rows, []string{v.id, v.name})
	}
	if err := writeCSV(filepath.Join(dir, vendorsFile), VendorsHeader, rows); err != nil {
		return err
	}

	// Events in the order the multi-cloud management system exports them: by confirmed
	// date, then by order; an order's events of one day keep their order.
	type ref struct {
		o *order
		k int
	}
	var refs []ref
	for _, o := range w.orders {
		for k := range o.events {
			refs = append(refs, ref{o, k})
		}
	}
	sort.SliceStable(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if c := a.o.events[a.k].date.Compare(b.o.events[b.k].date); c != 0 {
			return c < 0
		}
		if a.o.seq != b.o.seq {
			return a.o.seq < b.o.seq
		}
		return a.k < b.k
	})
	rows = make([][]string, 0, len(refs))
	for _, r := range refs {
		e := r.o.events[r.k]
		code, rtype := e.item, ""
		if r.o.rtype != "" {
			code, rtype = "", r.o.rtype
		}
		rows = append(rows, []string{
			r.o.id, e.kind, e.date.String(), w.depts[r.o.dept].id, w.projects[e.project].id,
			w.vendors[r.o.vendor].id, r.o.zone, code, strconv.Itoa(e.qty), r.o.resource, rtype, e.portion,
		})
	}
	if err := writeCSV(filepath.Join(dir, ordersFile), OrdersHeader, rows); err != nil {
		return err
	}
	return writeCSV(filepath.Join(dir, acceptanceFile), AcceptanceHeader, w.accept)
}

// writeCSV writes a UTF-8 CSV file (no BOM, LF line ends).
func writeCSV(name string, header []string, rows [][]string) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(name), err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	cw := csvout.NewWriter(bw)
	_ = cw.Write(header)
	_ = cw.WriteAll(rows) // flushes
	if err := cw.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(name), err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(name), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(name), err)
	}
	return nil
}

// sinceStart is a progress helper: seconds since t.
func sinceStart(t time.Time) float64 { return time.Since(t).Seconds() }
