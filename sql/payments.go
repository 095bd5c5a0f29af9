package chstore

// Payments, vendor nets of closed months, and December estimates.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// InsertPayments stores payment vouchers and records the import.
func (s *Store) InsertPayments(ctx context.Context, imp catalog.Import, ps []funding.Payment) error {
	if err := s.insertBlock(ctx, paymentsInsert{imp: imp, ps: ps}); err != nil {
		return fmt.Errorf("insert payments: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// paymentsInsert stores the payment vouchers of an import.
type paymentsInsert struct {
	imp catalog.Import
	ps  []funding.Payment
}

func (paymentsInsert) toSQL() string {
	return `INSERT INTO payments (voucher_no, vendor_id, period, amount, paid_date, refunds, import_id, import_seq, file, line,
imported_at)`
}

func (q paymentsInsert) rows() int { return len(q.ps) }

func (q paymentsInsert) row(i int) []any {
	p := q.ps[i]
	return []any{p.Voucher, string(p.Vendor), p.Period.Key(), p.Amount, chDate(p.PaidDate), p.Refunds, q.imp.ID, q.imp.Seq(), p.Source.File,
		uint32(p.Source.Line), q.imp.At}
}

// paymentsQuery reads every voucher row, by voucher and import.
type paymentsQuery struct{}

func (paymentsQuery) toSQL() (string, []any) {
	return `SELECT voucher_no, vendor_id, period, amount, paid_date, refunds, import_id, file, line, imported_at FROM payments
ORDER BY voucher_no, import_seq`, nil
}

func (paymentsQuery) scan(rows driver.Rows) ([]funding.Payment, error) {
	var out []funding.Payment
	for rows.Next() {
		var p funding.Payment
		var vendor string
		var key, line uint32
		var paid time.Time
		if err := rows.Scan(&p.Voucher, &vendor, &key, &p.Amount, &paid, &p.Refunds, &p.Source.ImportID, &p.Source.File, &line, &p.ImportedAt); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].Voucher == p.Voucher {
			continue // imported once: the first import is the voucher
		}
		p.Vendor, p.Period, p.PaidDate, p.Source.Line = catalog.VendorID(vendor), calendar.PeriodOfKey(key), fromCHDate(paid), int(line)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Payments is every payment voucher, by voucher number.
func (s *Store) Payments(ctx context.Context) ([]funding.Payment, error) {
	q := paymentsQuery{}
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read payments: %w", err)
	}
	return out, nil
}

// vendorNetsQuery adds up the lines of the given runs by month, vendor and department.
type vendorNetsQuery struct{ runs []string }

func (q vendorNetsQuery) toSQL() (string, []any) {
	return `SELECT period, vendor_id, department_id, sum(amount)
FROM rated_lines WHERE has(?, run_id)
GROUP BY period, vendor_id, department_id
ORDER BY period, vendor_id, department_id`, []any{q.runs}
}

// Nets is the net per month, vendor and department.
type Nets map[calendar.Period]map[catalog.VendorID]map[catalog.DepartmentID]decimal.Decimal

// ByVendor adds up the departments.
func (n Nets) ByVendor() map[calendar.Period]map[catalog.VendorID]decimal.Decimal {
	out := map[calendar.Period]map[catalog.VendorID]decimal.Decimal{}
	for p, vs := range n {
		out[p] = map[catalog.VendorID]decimal.Decimal{}
		for v, ds := range vs {
			for _, a := range ds {
				out[p][v] = out[p][v].Add(a)
			}
		}
	}
	return out
}

func (n Nets) add(p calendar.Period, v catalog.VendorID, d catalog.DepartmentID, a decimal.Decimal) {
	if n[p] == nil {
		n[p] = map[catalog.VendorID]map[catalog.DepartmentID]decimal.Decimal{}
	}
	if n[p][v] == nil {
		n[p][v] = map[catalog.DepartmentID]decimal.Decimal{}
	}
	n[p][v][d] = n[p][v][d].Add(a)
}

func (q vendorNetsQuery) scan(rows driver.Rows) (Nets, error) {
	out := Nets{}
	for rows.Next() {
		var key uint32
		var vendor, dep string
		var a decimal.Decimal
		if err := rows.Scan(&key, &vendor, &dep, &a); err != nil {
			return nil, err
		}
		out.add(calendar.PeriodOfKey(key), catalog.VendorID(vendor), catalog.DepartmentID(dep), a)
	}
	return out, rows.Err()
}

// ClosedNets is the net settlement of every closed month per vendor and department (the
// sums of its frozen lines).
func (s *Store) ClosedNets(ctx context.Context) (Nets, error) {
	closes, err := s.Closes(ctx)
	if err != nil {
		return nil, err
	}
	var runs []string
	for _, c := range closes {
		if c.RunID != "" {
			runs = append(runs, c.RunID)
		}
	}
	if len(runs) == 0 {
		return Nets{}, nil
	}
	q := vendorNetsQuery{runs: runs}
	out, err := runScan(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read closed nets: %w", err)
	}
	return out, nil
}

// estimatesQuery reads the issued estimates that were not withdrawn.
type estimatesQuery struct{}

func (estimatesQuery) toSQL() (string, []any) {
	return `SELECT period, estimate_id, as_of, issued_at, issued_by, content_hash, lines, total, rates FROM estimates
WHERE estimate_id NOT IN (SELECT estimate_id FROM estimate_withdrawals)
ORDER BY period, issued_at, estimate_id`, nil
}

func (estimatesQuery) scan(rows driver.Rows) ([]funding.EstimateInfo, error) {
	var out []funding.EstimateInfo
	for rows.Next() {
		var e funding.EstimateInfo
		var key uint32
		var asOf time.Time
		var lines uint64
		var rates string
		if err := rows.Scan(&key, &e.ID, &asOf, &e.IssuedAt, &e.IssuedBy, &e.Hash, &lines, &e.Total, &rates); err != nil {
			return nil, err
		}
		e.Period, e.AsOf, e.Lines = calendar.PeriodOfKey(key), fromCHDate(asOf), int(lines)
		if err := json.Unmarshal([]byte(rates), &e.Rates); err != nil {
			return nil, fmt.Errorf("estimate %s: rates: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// IssuedEstimates lists the estimates in force (issued, not withdrawn), by month.
func (s *Store) IssuedEstimates(ctx context.Context) ([]funding.EstimateInfo, error) {
	q := estimatesQuery{}
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read estimates: %w", err)
	}
	return out, nil
}

// EstimatedPeriods lists the months with an estimate in force.
func (s *Store) EstimatedPeriods(ctx context.Context) ([]calendar.Period, error) {
	es, err := s.IssuedEstimates(ctx)
	if err != nil {
		return nil, err
	}
	var out []calendar.Period
	for _, e := range es {
		out = append(out, e.Period)
	}
	return out, nil
}

// InsertEstimate stores an estimate's lines, then its row (the commit).
func (s *Store) InsertEstimate(ctx context.Context, info funding.EstimateInfo, est funding.Estimate) error {
	if err := s.insertBlock(ctx, estimateLinesInsert{info: info, lines: est.Lines}); err != nil {
		return fmt.Errorf("insert estimate lines: %w", err)
	}
	rates, err := json.Marshal(info.Rates)
	if err != nil {
		return err
	}
	return s.insertOne(ctx, estimateInsert{info: info, rates: string(rates)})
}

// estimateLinesInsert stores the lines of an estimate.
type estimateLinesInsert struct {
	info  funding.EstimateInfo
	lines []funding.EstimateLine
}

func (estimateLinesInsert) toSQL() string {
	return `INSERT INTO estimate_lines (period, estimate_id, seq, kind, department_id, vendor_id, project_id, category, order_id,
item_code, zone, to_date, rest, amount, note)`
}

func (q estimateLinesInsert) rows() int { return len(q.lines) }

func (q estimateLinesInsert) row(i int) []any {
	l := q.lines[i]
	return []any{q.info.Period.Key(), q.info.ID, uint32(i), string(l.Kind), string(l.Department), string(l.Vendor), string(l.Project), string(l.Category),
		string(l.Order), string(l.Item), string(l.Zone), l.ToDate.Round(18), l.Rest.Round(18), l.Amount, l.Note}
}

// estimateInsert records an estimate (after its lines: the row commits it); rates is
// the JSON of its vendors' deduction rates.
type estimateInsert struct {
	info  funding.EstimateInfo
	rates string
}

func (q estimateInsert) toSQL() (string, []any) {
	info := q.info
	return `INSERT INTO estimates (period, estimate_id, as_of, issued_at, issued_by, content_hash, lines, total, rates)`,
		[]any{info.Period.Key(), info.ID, chDate(info.AsOf), info.IssuedAt.UTC(), info.IssuedBy, info.Hash, uint64(info.Lines), info.Total, q.rates}
}

// WithdrawEstimate records the withdrawal of an estimate.
func (s *Store) WithdrawEstimate(ctx context.Context, info funding.EstimateInfo, at time.Time, by, reason string) error {
	return s.insertOne(ctx, estimateWithdrawalInsert{info: info, at: at, by: by, reason: reason})
}

// estimateWithdrawalInsert records the withdrawal of an estimate.
type estimateWithdrawalInsert struct {
	info       funding.EstimateInfo
	at         time.Time
	by, reason string
}

func (q estimateWithdrawalInsert) toSQL() (string, []any) {
	return `INSERT INTO estimate_withdrawals (period, estimate_id, withdrawn_at, withdrawn_by, reason)`,
		[]any{q.info.Period.Key(), q.info.ID, q.at.UTC(), q.by, q.reason}
}

// estimateLinesQuery reads the lines of one estimate.
type estimateLinesQuery struct{ id string }

func (q estimateLinesQuery) toSQL() (string, []any) {
	return `SELECT kind, department_id, vendor_id, project_id, category, order_id, item_code, zone, to_date, rest, amount, note
FROM estimate_lines WHERE estimate_id = ? ORDER BY seq`, []any{q.id}
}

func (estimateLinesQuery) scan(rows driver.Rows) ([]funding.EstimateLine, error) {
	var out []funding.EstimateLine
	for rows.Next() {
		var l funding.EstimateLine
		var kind, dep, ven, proj, cat, order, item, zone string
		if err := rows.Scan(&kind, &dep, &ven, &proj, &cat, &order, &item, &zone, &l.ToDate, &l.Rest, &l.Amount, &l.Note); err != nil {
			return nil, err
		}
		l.Kind, l.Department, l.Vendor, l.Project = rating.Kind(kind), catalog.DepartmentID(dep), catalog.VendorID(ven), catalog.ProjectID(proj)
		l.Category, l.Order, l.Item, l.Zone = catalog.ProjectCategory(cat), catalog.OrderID(order), catalog.ItemCode(item), catalog.Zone(zone)
		out = append(out, l)
	}
	return out, rows.Err()
}

// EstimateOf is the estimate in force for month p with its lines; ok is false when none.
func (s *Store) EstimateOf(ctx context.Context, p calendar.Period) (funding.EstimateInfo, funding.Estimate, bool, error) {
	es, err := s.IssuedEstimates(ctx)
	if err != nil {
		return funding.EstimateInfo{}, funding.Estimate{}, false, err
	}
	var info funding.EstimateInfo
	found := false
	for _, e := range es {
		if e.Period == p {
			info, found = e, true
		}
	}
	if !found {
		return funding.EstimateInfo{}, funding.Estimate{}, false, nil
	}
	q := estimateLinesQuery{id: info.ID}
	lines, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return funding.EstimateInfo{}, funding.Estimate{}, false, fmt.Errorf("read estimate %s: %w", info.ID, err)
	}
	return info, funding.Estimate{Period: p, AsOf: info.AsOf, Lines: lines, Rates: info.Rates, Hash: info.Hash}, true, nil
}

// ClosedVendorNets is each closed month's net per vendor.
func (s *Store) ClosedVendorNets(ctx context.Context) (map[calendar.Period]map[catalog.VendorID]decimal.Decimal, error) {
	n, err := s.ClosedNets(ctx)
	if err != nil {
		return nil, err
	}
	return n.ByVendor(), nil
}

// estimateNetsQuery adds up the lines of the given estimates by month, vendor and
// department.
type estimateNetsQuery struct{ ids []string }

func (q estimateNetsQuery) toSQL() (string, []any) {
	return `SELECT period, vendor_id, department_id, sum(amount)
FROM estimate_lines WHERE has(?, estimate_id)
GROUP BY period, vendor_id, department_id
ORDER BY period, vendor_id, department_id`, []any{q.ids}
}

// scan reads the sums as vendorNetsQuery does (the same columns).
func (estimateNetsQuery) scan(rows driver.Rows) (Nets, error) { return vendorNetsQuery{}.scan(rows) }

// EstimatedNets is each estimate in force, its net per vendor and department.
func (s *Store) EstimatedNets(ctx context.Context) (Nets, error) {
	es, err := s.IssuedEstimates(ctx)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return Nets{}, nil
	}
	q := estimateNetsQuery{}
	for _, e := range es {
		q.ids = append(q.ids, e.ID)
	}
	out, err := runScan(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read estimated nets: %w", err)
	}
	return out, nil
}

// EstimatedVendorNets is each estimate in force, its net per vendor.
func (s *Store) EstimatedVendorNets(ctx context.Context) (map[calendar.Period]map[catalog.VendorID]decimal.Decimal, error) {
	n, err := s.EstimatedNets(ctx)
	if err != nil {
		return nil, err
	}
	return n.ByVendor(), nil
}

var (
	_ funding.PaymentStore  = (*Store)(nil)
	_ funding.EstimateStore = (*Store)(nil)
	_ funding.LedgerStore   = (*Store)(nil)
)
