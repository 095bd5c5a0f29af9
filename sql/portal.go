package chstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/reconcile"
)

// Queries of the portal.

// ratedMonthsQuery lists every month with a rating run (its latest run), oldest first.
type ratedMonthsQuery struct{}

func (ratedMonthsQuery) toSQL() (string, []any) {
	return `SELECT period, argMax(run_id, run_no), max(rated_at), argMax(lines, run_no), argMax(total, run_no), argMax(pending, run_no)
FROM rating_runs GROUP BY period ORDER BY period`, nil
}

func (ratedMonthsQuery) scan(rows driver.Rows) ([]rating.RatedMonth, error) {
	var out []rating.RatedMonth
	for rows.Next() {
		var m rating.RatedMonth
		var key uint32
		var lines uint64
		var pending []string
		if err := rows.Scan(&key, &m.RunID, &m.RatedAt, &lines, &m.Total, &pending); err != nil {
			return nil, err
		}
		m.Period, m.Lines = calendar.PeriodOfKey(key), int(lines)
		for _, v := range pending {
			m.Pending = append(m.Pending, catalog.VendorID(v))
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// RatedMonths lists every month with a rating run (its latest run), oldest first.
func (s *Store) RatedMonths(ctx context.Context) ([]rating.RatedMonth, error) {
	out, err := runQuery(ctx, s.conn, ratedMonthsQuery{})
	if err != nil {
		return nil, fmt.Errorf("read rated months: %w", err)
	}
	return out, nil
}

// runTotalsQuery sums the line amounts of run runID of month period by department and
// vendor.
type runTotalsQuery struct {
	period calendar.Period
	runID  string
}

func (q runTotalsQuery) toSQL() (string, []any) {
	return `SELECT department_id, vendor_id, sum(amount) FROM rated_lines WHERE period = ? AND run_id = ?
GROUP BY department_id, vendor_id ORDER BY department_id, vendor_id`, []any{q.period.Key(), q.runID}
}

func (runTotalsQuery) scan(rows driver.Rows) ([]rating.PartyTotal, error) {
	var out []rating.PartyTotal
	for rows.Next() {
		var t rating.PartyTotal
		var dep, ven string
		if err := rows.Scan(&dep, &ven, &t.Amount); err != nil {
			return nil, err
		}
		t.Department, t.Vendor = catalog.DepartmentID(dep), catalog.VendorID(ven)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RunTotals sums a run's line amounts (rounded to the fen, as on the statements) by
// department and vendor.
func (s *Store) RunTotals(ctx context.Context, p calendar.Period, runID string) ([]rating.PartyTotal, error) {
	out, err := runQuery(ctx, s.conn, runTotalsQuery{period: p, runID: runID})
	if err != nil {
		return nil, fmt.Errorf("read totals of %s: %w", p, err)
	}
	return out, nil
}

// invoiceUploadInsert stores an upload with its file and reconciliation report.
type invoiceUploadInsert struct{ u reconcile.Upload }

func (q invoiceUploadInsert) toSQL() (string, []any) {
	u := q.u
	return `INSERT INTO invoice_uploads (upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256,
file_content, provisional, claimed, ours, difference, differences, summary, report_csv, report_pdf)`,
		[]any{u.ID, string(u.Vendor), u.Period.Key(), u.UploadedAt.UTC(), u.UploadedBy, u.FileName, u.FileSHA256, string(u.File),
			flag(u.Provisional), u.Claimed, u.Ours, u.Difference, uint32(u.Differences), u.Summary, string(u.ReportCSV), string(u.ReportPDF)}
}

// InsertInvoiceUpload stores an upload and its reconciliation.
func (s *Store) InsertInvoiceUpload(ctx context.Context, u reconcile.Upload) error {
	if err := s.insertOne(ctx, invoiceUploadInsert{u}); err != nil {
		return fmt.Errorf("store invoice upload of %s %s: %w", u.Vendor, u.Period, err)
	}
	return nil
}

// invoiceUploadsQuery lists the uploads of vendor ("" every vendor), newest first,
// without the file and report bodies.
type invoiceUploadsQuery struct{ vendor catalog.VendorID }

// uploadColumns are the columns of an upload without its file and report.
const uploadColumns = `upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256, provisional, claimed, ours, difference, differences`

func (q invoiceUploadsQuery) toSQL() (string, []any) {
	sql := "SELECT " + uploadColumns + "\nFROM invoice_uploads"
	var args []any
	if q.vendor != "" {
		sql += " WHERE vendor_id = ?"
		args = append(args, string(q.vendor))
	}
	return sql + " ORDER BY uploaded_at DESC, upload_id", args
}

func (invoiceUploadsQuery) scan(rows driver.Rows) ([]reconcile.Upload, error) {
	return scanUploads(rows, false)
}

// invoiceUploadQuery reads the upload id with its report (no row when there is none).
type invoiceUploadQuery struct{ id string }

func (q invoiceUploadQuery) toSQL() (string, []any) {
	return "SELECT " + uploadColumns + ",\nsummary, report_csv, report_pdf FROM invoice_uploads WHERE upload_id = ? LIMIT 1", []any{q.id}
}

func (invoiceUploadQuery) scan(rows driver.Rows) ([]reconcile.Upload, error) {
	return scanUploads(rows, true)
}

// scanUploads reads rows of uploadColumns, followed by the summary and the reports when
// withReport.
func scanUploads(rows driver.Rows, withReport bool) ([]reconcile.Upload, error) {
	var out []reconcile.Upload
	for rows.Next() {
		var u reconcile.Upload
		var ven, csv, pdf string
		var key, diffs uint32
		var prov uint8
		dest := []any{&u.ID, &ven, &key, &u.UploadedAt, &u.UploadedBy, &u.FileName, &u.FileSHA256, &prov, &u.Claimed, &u.Ours, &u.Difference, &diffs}
		if withReport {
			dest = append(dest, &u.Summary, &csv, &pdf)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		u.Vendor, u.Period, u.Provisional, u.Differences = catalog.VendorID(ven), calendar.PeriodOfKey(key), prov == 1, int(diffs)
		if withReport {
			u.ReportCSV, u.ReportPDF = []byte(csv), []byte(pdf)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// InvoiceUploads lists the uploads of a vendor ("" every vendor), newest first, without
// the file and report bodies.
func (s *Store) InvoiceUploads(ctx context.Context, vendor catalog.VendorID) ([]reconcile.Upload, error) {
	out, err := runQuery(ctx, s.conn, invoiceUploadsQuery{vendor: vendor})
	if err != nil {
		return nil, fmt.Errorf("read invoice uploads: %w", err)
	}
	return out, nil
}

// InvoiceUploadOf reads one upload with its report (ok false when there is none).
func (s *Store) InvoiceUploadOf(ctx context.Context, id string) (reconcile.Upload, bool, error) {
	us, err := runQuery(ctx, s.conn, invoiceUploadQuery{id: id})
	if err != nil {
		return reconcile.Upload{}, false, fmt.Errorf("read invoice upload %s: %w", id, err)
	}
	if len(us) == 0 {
		return reconcile.Upload{}, false, nil
	}
	return us[0], true, nil
}

// DailyAmountsOf is the daily detail of run runID of month p for departments deps, in one
// scan (DailyAmounts reads one department a call).
func (s *Store) DailyAmountsOf(ctx context.Context, p calendar.Period, runID string, deps []catalog.DepartmentID) ([]rating.Day, error) {
	if len(deps) == 0 {
		return nil, nil
	}
	out, err := runQuery(ctx, s.conn, dailyAmountsOfQuery{period: p, runID: runID, deps: deps})
	if err != nil {
		return nil, fmt.Errorf("read daily amounts of %s: %w", p, err)
	}
	return out, nil
}

// dailyAmountsOfQuery reads the daily detail of run runID of month period for the
// departments deps (at least one), by date and order.
type dailyAmountsOfQuery struct {
	period calendar.Period
	runID  string
	deps   []catalog.DepartmentID
}

func (q dailyAmountsOfQuery) toSQL() (string, []any) {
	args := []any{q.period.Key(), q.runID}
	marks := make([]string, len(q.deps))
	for i, d := range q.deps {
		marks[i] = "?"
		args = append(args, string(d))
	}
	return `SELECT date, department_id, vendor_id, project_id, order_id, item_code, kind, quantity, unit_price, amount
FROM rated_days WHERE period = ? AND run_id = ? AND department_id IN (` + strings.Join(marks, ", ") + `) ORDER BY date, order_id, line_seq`, args
}

func (q dailyAmountsOfQuery) scan(rows driver.Rows) ([]rating.Day, error) {
	var out []rating.Day
	for rows.Next() {
		d := rating.Day{Period: q.period}
		var date time.Time
		var dep, vendor, proj, order, item, kind string
		if err := rows.Scan(&date, &dep, &vendor, &proj, &order, &item, &kind, &d.Quantity, &d.UnitPrice, &d.Amount); err != nil {
			return nil, err
		}
		d.Date = fromCHDate(date)
		d.Department, d.Vendor, d.Project, d.Order, d.Item, d.Kind = catalog.DepartmentID(dep), catalog.VendorID(vendor), catalog.ProjectID(proj), catalog.OrderID(order), catalog.ItemCode(item), rating.Kind(kind)
		out = append(out, d)
	}
	return out, rows.Err()
}
