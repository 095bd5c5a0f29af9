package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/reconcile"
	"cloudbill/reconcile/invoicefile"
)

// ReconcileRequest is a vendor's invoice to check against the rated month.
type ReconcileRequest struct {
	Vendor catalog.VendorID
	Period calendar.Period
	// Name is the invoice file's name (errors name it); Invoice its content, CSV or .xlsx.
	Name    string
	Invoice io.Reader
	// Tolerance: a claim within this much of ours matches.
	Tolerance decimal.Decimal
	// Provisional reconciles an open (rated) month against its latest rating, the report
	// marked provisional; without it an open month is refused (reconcile.ErrPeriodOpen).
	Provisional bool
	// By names who asks ("cli"); Who is the audit log's account of who asks (Actor,
	// Role, Remote), an empty Actor is By.
	By  string
	Who access.Event
}

// ErrBadInvoice: the invoice cannot be read or reconciled as it is (bad input: the error
// names the file, line and column). The error is a *BadInvoiceError.
var ErrBadInvoice = errors.New("bad invoice")

// BadInvoiceError is an invoice refused; Err says why (its text is the error's).
type BadInvoiceError struct{ Err error }

func (e *BadInvoiceError) Error() string        { return e.Err.Error() }
func (e *BadInvoiceError) Unwrap() error        { return e.Err }
func (e *BadInvoiceError) Is(target error) bool { return target == ErrBadInvoice }

// Reconciliation is a reconciliation done: its result and its report, as CSV and PDF.
type Reconciliation struct {
	Result reconcile.Result
	// File is the invoice's name as given, SHA256 the hex SHA-256 of its bytes.
	File, SHA256 string
	// Claims is the number of invoice lines read.
	Claims   int
	CSV, PDF []byte
	// Name is the reports' file name without extension (reconcile-<vendor>-<period>).
	Name string
}

// Reconcile reads a vendor's invoice, matches it with the month's rated lines of the
// vendor (the frozen lines of a closed month) and renders the report. A bad invoice is an
// error naming the file, line and column (ErrBadInvoice, wrapping csvin.Errors); an open month without
// Provisional is reconcile.ErrPeriodOpen, a vendor neither known nor rated
// reconcile.ErrUnknownVendor. Nothing is stored but the audit log's record: every
// reconciliation, done or refused, is in it (action reconcile, target "<vendor> <period>",
// detail Reconciliation.AuditDetail or InvoiceRefusalDetail), as an invoice handed in is
// (UploadInvoice).
func (a *App) Reconcile(ctx context.Context, req ReconcileRequest) (Reconciliation, error) {
	rec, err := a.reconcile(ctx, req)
	return rec, a.auditInvoice(ctx, invoiceAudit{action: "reconcile", by: req.By, who: req.Who, vendor: req.Vendor, period: req.Period,
		err: err, detail: func() string { return rec.AuditDetail("") }})
}

func (a *App) reconcile(ctx context.Context, req ReconcileRequest) (Reconciliation, error) {
	h := sha256.New()
	body := io.TeeReader(req.Invoice, h)
	inv, err := invoicefile.ReadFrom(req.Name, body, reconcile.Expect{Vendor: req.Vendor, Period: req.Period})
	if err != nil {
		return Reconciliation{}, &BadInvoiceError{err}
	}
	if _, err := io.Copy(io.Discard, body); err != nil { // the whole file's hash
		return Reconciliation{}, err
	}
	ld, err := reconcile.Load(ctx, a.cfg.Store, reconcile.LoadRequest{Vendor: req.Vendor, Period: req.Period, Tolerance: req.Tolerance, Provisional: req.Provisional})
	if err != nil {
		return Reconciliation{}, err
	}
	res, err := reconcile.Reconcile(inv, ld.Params)
	if err != nil {
		return Reconciliation{}, &BadInvoiceError{err}
	}
	font, err := a.font(a.cfg.FontPath)
	if err != nil {
		return Reconciliation{}, err
	}
	doc, err := font.Render(reconcile.Document(res, ld.Meta))
	if err != nil {
		return Reconciliation{}, fmt.Errorf("reconcile report: %w", err)
	}
	var csv bytes.Buffer
	if err := reconcile.WriteCSV(&csv, res); err != nil {
		return Reconciliation{}, err
	}
	return Reconciliation{Result: res, File: req.Name, SHA256: hex.EncodeToString(h.Sum(nil)), Claims: len(inv.Claims),
		CSV: csv.Bytes(), PDF: doc, Name: reconcile.FileName(res)}, nil
}

// ErrNotRated: the month was never rated; nothing can be reconciled against it.
var ErrNotRated = errors.New("month not rated")

// UploadRequest is a vendor's invoice handed in (the portal's upload).
type UploadRequest struct {
	Vendor catalog.VendorID
	Period calendar.Period
	// Name is the file's name as sent: its last path element is kept (UploadName).
	Name string
	// Invoice is the file (nil: no file was sent, ErrNoFile), read up to MaxBytes
	// (*TooLargeError beyond; 0: no bound).
	Invoice  io.Reader
	MaxBytes int64
	// By names who handed it in (the upload's UploadedBy); Who is the audit log's account
	// of who asks (Actor, Role, Remote), an empty Actor is By.
	By  string
	Who access.Event
}

// UploadInvoice reconciles an invoice handed in and keeps it with its report (the
// vendor's reconciliations). It is refused, nothing stored, when no file was sent
// (ErrNoFile), the file is larger than req.MaxBytes (*TooLargeError) or is neither CSV
// text nor an .xlsx workbook (*NotInvoiceError), the month was never rated (ErrNotRated),
// and for Reconcile's reasons. A closed month is reconciled against its frozen lines, an
// open one provisionally against its latest rating. Every upload, kept or refused, is in
// the audit log (action upload, target "<vendor> <period>", detail
// Reconciliation.AuditDetail with the upload's id, or InvoiceRefusalDetail).
func (a *App) UploadInvoice(ctx context.Context, req UploadRequest) (reconcile.Upload, Reconciliation, error) {
	up, rec, err := a.uploadInvoice(ctx, req)
	return up, rec, a.auditInvoice(ctx, invoiceAudit{action: "upload", by: req.By, who: req.Who, vendor: req.Vendor, period: req.Period,
		err: err, detail: func() string { return rec.AuditDetail(up.ID) }})
}

func (a *App) uploadInvoice(ctx context.Context, req UploadRequest) (reconcile.Upload, Reconciliation, error) {
	if req.Invoice == nil {
		return reconcile.Upload{}, Reconciliation{}, ErrNoFile
	}
	r := req.Invoice
	if req.MaxBytes > 0 {
		r = io.LimitReader(r, req.MaxBytes+1)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return reconcile.Upload{}, Reconciliation{}, fmt.Errorf("read the invoice: %w", err)
	}
	if req.MaxBytes > 0 && int64(len(body)) > req.MaxBytes {
		return reconcile.Upload{}, Reconciliation{}, &TooLargeError{Limit: req.MaxBytes}
	}
	name := UploadName(req.Name)
	if err := CheckInvoiceFile(name, body); err != nil {
		return reconcile.Upload{}, Reconciliation{}, err
	}
	_, closed, err := a.cfg.Store.CloseOf(ctx, req.Period)
	if err != nil {
		return reconcile.Upload{}, Reconciliation{}, err
	}
	if !closed {
		if _, err := a.cfg.Store.LatestRun(ctx, req.Period); err != nil {
			if errors.Is(err, rating.ErrNotRated) {
				return reconcile.Upload{}, Reconciliation{}, fmt.Errorf("%s: %w", req.Period, ErrNotRated)
			}
			return reconcile.Upload{}, Reconciliation{}, err
		}
	}
	rec, err := a.reconcile(ctx, ReconcileRequest{Vendor: req.Vendor, Period: req.Period, Name: name, Invoice: bytes.NewReader(body), Tolerance: decimal.Zero, Provisional: !closed})
	if err != nil {
		return reconcile.Upload{}, Reconciliation{}, err
	}
	res := rec.Result
	summary, err := json.Marshal(res)
	if err != nil {
		return reconcile.Upload{}, Reconciliation{}, err
	}
	up := reconcile.Upload{ID: randomHex(8), Vendor: req.Vendor, Period: req.Period, UploadedAt: a.cfg.Now(), UploadedBy: req.By, FileName: name,
		FileSHA256: rec.SHA256, File: body, Provisional: res.Provisional, Claimed: res.Claimed, Ours: res.Ours,
		Difference: res.Difference, Differences: len(res.Differences()), Summary: string(summary), ReportCSV: rec.CSV, ReportPDF: rec.PDF}
	if err := a.cfg.Store.InsertInvoiceUpload(ctx, up); err != nil {
		return reconcile.Upload{}, Reconciliation{}, err
	}
	return up, rec, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
