package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// FundingStore is what the year's money reads and writes (budgets, warning thresholds,
// payment vouchers, December estimates), with the audit log that records each change.
type FundingStore interface {
	funding.BudgetStore
	funding.ThresholdStore
	funding.PaymentStore
	funding.EstimateStore
	Auditor
}

// Auditor appends to the audit log.
type Auditor interface {
	AppendAudit(ctx context.Context, e access.Event) error
}

// ImportBudgets imports a budgets file (funding.ImportBudgets), audited by importAudited.
func (a *App) ImportBudgets(ctx context.Context, f catalog.File, by string) (catalog.Report, error) {
	return importAudited[funding.BudgetStore](ctx, a, a.cfg.Store, f, by, "budgets-import", "budgets", true, funding.ImportBudgets)
}

// ImportThresholds imports the budget warning thresholds' versions
// (funding.ImportThresholds), audited by importAudited.
func (a *App) ImportThresholds(ctx context.Context, f catalog.File, by string) (catalog.Report, error) {
	return importAudited[funding.ThresholdStore](ctx, a, a.cfg.Store, f, by, "budget-thresholds-import", "thresholds", true, funding.ImportThresholds)
}

// ImportPayments imports payment vouchers (funding.ImportPayments), audited by
// importAudited. Vouchers are only added, so the record counts no replaced ones.
func (a *App) ImportPayments(ctx context.Context, f catalog.File, by string) (catalog.Report, error) {
	return importAudited[funding.PaymentStore](ctx, a, a.cfg.Store, f, by, "payments-import", "vouchers", false, funding.ImportPayments)
}

// importAudited runs an import of the year's money on st (the App's store) and, when it
// stored something, records it in the audit log as action, done by actor by, on the file,
// with what was imported (of), the import's id, the accepted records and, when replaces,
// the replaced ones. A refused file stores nothing and records nothing.
func importAudited[S any](ctx context.Context, a *App, st S, f catalog.File, by, action, of string, replaces bool,
	run func(context.Context, S, catalog.File, time.Time) (catalog.Report, error)) (catalog.Report, error) {
	rep, err := run(ctx, st, f, a.Now())
	if err != nil || !rep.Stored() {
		return rep, err
	}
	kv := []string{"of", of, "import", rep.Import.ID, "accepted", strconv.Itoa(rep.Accepted)}
	if replaces {
		kv = append(kv, "replaced", strconv.Itoa(rep.Replaced))
	}
	return rep, a.audit(ctx, by, action, f.Name, access.Details(access.DetailImport, kv...))
}

// EstimateParams are the arguments of IssueEstimate: the estimate's (By is the actor
// audited), the output root and the PDF font ("": the default font).
type EstimateParams struct {
	funding.IssueParams
	Out      string
	FontPath string
}

// EstimateIssued is an issued estimate: its record, the directory of its files, the
// number of vendors and the orders it could not estimate in full.
type EstimateIssued struct {
	Info     funding.EstimateInfo
	Dir      string
	Vendors  int
	Findings []string
}

// IssueEstimate issues the December estimate (funding.IssueEstimate, whose refusals it
// returns: ErrEstimateClosed, ErrEstimateMonth, ErrEstimateAsOf, ErrEstimateIssued,
// ErrEstimateNotRate), records it in the audit log and writes each vendor's CSV and PDF
// (预估) under OUT/YYYY-MM-estimate/vendors/.
func (a *App) IssueEstimate(ctx context.Context, pr EstimateParams) (EstimateIssued, error) {
	font, err := a.font(pr.FontPath)
	if err != nil {
		return EstimateIssued{}, err
	}
	st := a.cfg.Store
	info, est, findings, err := funding.IssueEstimate(ctx, st, pr.IssueParams)
	if err != nil {
		return EstimateIssued{}, err
	}
	if err := a.audit(ctx, pr.By, "estimate-issue", info.ID, access.Details(access.DetailEstimate, "period", info.Period.String(), "as_of", info.AsOf.String(),
		"lines", strconv.Itoa(info.Lines), "total", money.Plain(info.Total), "hash", info.Hash)); err != nil {
		return EstimateIssued{}, err
	}
	org, err := st.Org(ctx)
	if err != nil {
		return EstimateIssued{}, err
	}
	dir := filepath.Join(pr.Out, pr.Period.String()+"-estimate", "vendors")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return EstimateIssued{}, err
	}
	nets := est.Net()
	vendors := make([]catalog.VendorID, 0, len(nets))
	for v := range nets {
		vendors = append(vendors, v)
	}
	sort.Slice(vendors, func(i, j int) bool { return vendors[i] < vendors[j] })
	for _, v := range vendors {
		var buf bytes.Buffer
		if err := est.WriteCSV(&buf, v); err != nil {
			return EstimateIssued{}, err
		}
		if err := os.WriteFile(filepath.Join(dir, string(v)+".csv"), buf.Bytes(), 0o644); err != nil {
			return EstimateIssued{}, err
		}
		b, err := font.Render(funding.EstimateDoc(est, org, v, info.IssuedAt))
		if err != nil {
			return EstimateIssued{}, fmt.Errorf("estimate %s: PDF of %s: %w", pr.Period, v, err)
		}
		if err := os.WriteFile(filepath.Join(dir, string(v)+".pdf"), b, 0o644); err != nil {
			return EstimateIssued{}, err
		}
	}
	return EstimateIssued{Info: info, Dir: dir, Vendors: len(vendors), Findings: findings}, nil
}

// WithdrawEstimate withdraws the estimate in force of month p (funding.WithdrawEstimate,
// refused with ErrEstimateNone or ErrEstimateClosed) and records it in the audit log with
// the reason.
func (a *App) WithdrawEstimate(ctx context.Context, p calendar.Period, by, reason string) (funding.EstimateInfo, error) {
	info, err := funding.WithdrawEstimate(ctx, a.cfg.Store, p, by, reason, a.Now())
	if err != nil {
		return info, err
	}
	err = a.audit(ctx, by, "estimate-withdraw", info.ID, access.Details(access.DetailEstimate, "period", info.Period.String(), "as_of", info.AsOf.String(),
		"hash", info.Hash, "reason", reason))
	return info, err
}

// audit records a change made by actor by: action on target, with its detail.
func (a *App) audit(ctx context.Context, by, action, target, detail string) error {
	return a.cfg.Store.AppendAudit(ctx, access.Event{At: a.Now(), Actor: by, Action: action, Target: target, Outcome: "ok", Detail: detail})
}
