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

// RatedMonths lists every month with a rating run (its latest run), oldest first.
func (s *Store) RatedMonths(ctx context.Context) ([]rating.RatedMonth, error) {
	var out []rating.RatedMonth
	err := s.scan(ctx, `SELECT period, argMax(run_id, run_no), max(rated_at), argMax(lines, run_no), argMax(total, run_no), argMax(pending, run_no)
FROM rating_runs GROUP BY period ORDER BY period`, func(r driver.Rows) error {
		var m rating.RatedMonth
		var key uint32
		var lines uint64
		var pending []string
		if err := r.Scan(&key, &m.RunID, &m.RatedAt, &lines, &m.Total, &pending); err != nil {
			return err
		}
		m.Period, m.Lines = calendar.PeriodOfKey(key), int(lines)
		for _, v := range pending {
			m.Pending = append(m.Pending, catalog.VendorID(v))
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read rated months: %w", err)
	}
	return out, nil
}

// RunTotals sums a run's line amounts (rounded to the fen, as on the statements) by
// department and vendor.
func (s *Store) RunTotals(ctx context.Context, p calendar.Period, runID string) ([]rating.PartyTotal, error) {
	var out []rating.PartyTotal
	err := s.scan(ctx, `SELECT department_id, vendor_id, sum(amount) FROM rated_lines WHERE period = ? AND run_id = ?
GROUP BY department_id, vendor_id ORDER BY department_id, vendor_id`, func(r driver.Rows) error {
		var t rating.PartyTotal
		var dep, ven string
		if err := r.Scan(&dep, &ven, &t.Amount); err != nil {
			return err
		}
		t.Department, t.Vendor = catalog.DepartmentID(dep), catalog.VendorID(ven)
		out = append(out, t)
		return nil
	}, p.Key(), runID)
	if err != nil {
		return nil, fmt.Errorf("read totals of %s: %w", p, err)
	}
	return out, nil
}

// InsertInvoiceUpload stores an upload and its reconciliation.
func (s *Store) InsertInvoiceUpload(ctx context.Context, u reconcile.Upload) error {
	err := s.insertRow(ctx, `INSERT INTO invoice_uploads (upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256,
file_content, provisional, claimed, ours, difference, differences, summary, report_csv, report_pdf)`,
		u.ID, string(u.Vendor), u.Period.Key(), u.UploadedAt.UTC(), u.UploadedBy, u.FileName, u.FileSHA256, string(u.File),
		flag(u.Provisional), u.Claimed, u.Ours, u.Difference, uint32(u.Differences), u.Summary, string(u.ReportCSV), string(u.ReportPDF))
	if err != nil {
		return fmt.Errorf("store invoice upload of %s %s: %w", u.Vendor, u.Period, err)
	}
	return nil
}

// InvoiceUploads lists the uploads of a vendor ("" every vendor), newest first, without
// the file and report bodies.
func (s *Store) InvoiceUploads(ctx context.Context, vendor catalog.VendorID) ([]reconcile.Upload, error) {
	q := `SELECT upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256, provisional, claimed, ours, difference, differences
FROM invoice_uploads`
	var args []any
	if vendor != "" {
		q += " WHERE vendor_id = ?"
		args = append(args, string(vendor))
	}
	q += " ORDER BY uploaded_at DESC, upload_id"
	var out []reconcile.Upload
	err := s.scan(ctx, q, func(r driver.Rows) error {
		var u reconcile.Upload
		var ven string
		var key, diffs uint32
		var prov uint8
		if err := r.Scan(&u.ID, &ven, &key, &u.UploadedAt, &u.UploadedBy, &u.FileName, &u.FileSHA256, &prov, &u.Claimed, &u.Ours, &u.Difference, &diffs); err != nil {
			return err
		}
		u.Vendor, u.Period, u.Provisional, u.Differences = catalog.VendorID(ven), calendar.PeriodOfKey(key), prov == 1, int(diffs)
		out = append(out, u)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read invoice uploads: %w", err)
	}
	return out, nil
}

// InvoiceUploadOf reads one upload with its report (ok false when there is none).
func (s *Store) InvoiceUploadOf(ctx context.Context, id string) (reconcile.Upload, bool, error) {
	var u reconcile.Upload
	found := false
	err := s.scan(ctx, `SELECT upload_id, vendor_id, period, uploaded_at, uploaded_by, file_name, file_sha256, provisional, claimed, ours, difference,
differences, summary, report_csv, report_pdf FROM invoice_uploads WHERE upload_id = ? LIMIT 1`, func(r driver.Rows) error {
		var ven, csv, pdf string
		var key, diffs uint32
		var prov uint8
		if err := r.Scan(&u.ID, &ven, &key, &u.UploadedAt, &u.UploadedBy, &u.FileName, &u.FileSHA256, &prov, &u.Claimed, &u.Ours, &u.Difference,
			&diffs, &u.Summary, &csv, &pdf); err != nil {
			return err
		}
		u.Vendor, u.Period, u.Provisional, u.Differences = catalog.VendorID(ven), calendar.PeriodOfKey(key), prov == 1, int(diffs)
		u.ReportCSV, u.ReportPDF = []byte(csv), []byte(pdf)
		found = true
		return nil
	}, id)
	if err != nil {
		return reconcile.Upload{}, false, fmt.Errorf("read invoice upload %s: %w", id, err)
	}
	return u, found, nil
}

// DailyAmountsOf is the daily detail of run runID of month p for departments deps, in one
// scan (DailyAmounts reads one department a call).
func (s *Store) DailyAmountsOf(ctx context.Context, p calendar.Period, runID string, deps []catalog.DepartmentID) ([]rating.Day, error) {
	if len(deps) == 0 {
		return nil, nil
	}
	q, args := dailyAmountsOfQuery(p, runID, deps)
	var out []rating.Day
	err := s.scan(ctx, q, func(rows driver.Rows) error {
		d := rating.Day{Period: p}
		var date time.Time
		var dep, vendor, proj, order, item, kind string
		if err := rows.Scan(&date, &dep, &vendor, &proj, &order, &item, &kind, &d.Quantity, &d.UnitPrice, &d.Amount); err != nil {
			return err
		}
		d.Date = fromCHDate(date)
		d.Department, d.Vendor, d.Project, d.Order, d.Item, d.Kind = catalog.DepartmentID(dep), catalog.VendorID(vendor), catalog.ProjectID(proj), catalog.OrderID(order), catalog.ItemCode(item), rating.Kind(kind)
		out = append(out, d)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read daily amounts of %s: %w", p, err)
	}
	return out, nil
}

func dailyAmountsOfQuery(p calendar.Period, runID string, deps []catalog.DepartmentID) (string, []any) {
	args := []any{p.Key(), runID}
	marks := make([]string, len(deps))
	for i, d := range deps {
		marks[i] = "?"
		args = append(args, string(d))
	}
	return `SELECT date, department_id, vendor_id, project_id, order_id, item_code, kind, quantity, unit_price, amount
FROM rated_days WHERE period = ? AND run_id = ? AND department_id IN (` + strings.Join(marks, ", ") + `) ORDER BY date, order_id, line_seq`, args
}
