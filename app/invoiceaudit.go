package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/reconcile"
)

// An invoice handed in or reconciled: why it is refused, and the audit log's record of
// it, the same whichever way it came in (the portal's upload, `cloudbill reconcile`).

// ErrNoFile: an upload without a file.
var ErrNoFile = errors.New("no invoice file")

// ErrTooLarge: an invoice file larger than allowed (a *TooLargeError says the bound).
var ErrTooLarge = errors.New("invoice file too large")

// TooLargeError is a file refused for its size; Limit is the bound in bytes.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("invoice file too large: more than %d MiB", e.Limit>>20)
}
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ErrNotInvoice: a file that is neither CSV text nor an .xlsx workbook (a
// *NotInvoiceError says whether it was empty).
var ErrNotInvoice = errors.New("not an invoice file")

// NotInvoiceError is a file refused before it is read: empty, or binary (a PDF, an old
// .xls, a file with control bytes).
type NotInvoiceError struct {
	File  string
	Empty bool
}

func (e *NotInvoiceError) Error() string {
	if e.Empty {
		return e.File + ": empty file"
	}
	return e.File + ": not CSV text or an .xlsx workbook"
}
func (e *NotInvoiceError) Is(target error) bool { return target == ErrNotInvoice }

// CheckInvoiceFile accepts CSV text (UTF-8 or GB18030) or an .xlsx workbook, by their
// first bytes; anything else is a *NotInvoiceError.
func CheckInvoiceFile(name string, b []byte) error {
	if len(b) == 0 {
		return &NotInvoiceError{File: name, Empty: true}
	}
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return nil // xlsx (a zip); invoicefile reads and checks it
	}
	head := b
	if len(head) > 8192 {
		head = head[:8192]
	}
	if bytes.IndexByte(head, 0) >= 0 || bytes.HasPrefix(b, []byte("%PDF")) || bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0")) {
		return &NotInvoiceError{File: name}
	}
	if !utf8.Valid(head) {
		// GB18030 text is accepted by the CSV reader; anything with control bytes is not
		for _, c := range head {
			if c < 0x09 {
				return &NotInvoiceError{File: name}
			}
		}
	}
	return nil
}

// UploadName is the name an uploaded file is kept under: the last element of the name
// sent (a browser may send a Windows path), "invoice.csv" for none.
func UploadName(sent string) string {
	name := path.Base(strings.ReplaceAll(sent, "\\", "/"))
	if name == "" || name == "." || name == "/" {
		return "invoice.csv"
	}
	return name
}

// AuditDetail is the audit log's record of an invoice reconciled (access.DetailInvoice):
// the file, its lines and SHA-256, the upload that keeps it ("" for none: `cloudbill
// reconcile` keeps nothing) and the number of differences.
func (r Reconciliation) AuditDetail(upload string) string {
	return access.Details(access.DetailInvoice, "file", r.File, "lines", strconv.Itoa(r.Claims), "sha256", r.SHA256,
		"upload", upload, "differences", strconv.Itoa(len(r.Result.Differences())))
}

// InvoiceRefusalDetail is the audit log's record of an invoice refused with err
// (access.DetailRefused): no file, too large (with the bound in MiB), not a CSV or .xlsx
// file, the month not rated, the month open (reconciled without Provisional), a bad
// invoice (with its errors in Chinese, glossary.InputErrors), or for any other error
// (an unknown vendor among them) "failed" with its text.
func InvoiceRefusalDetail(err error) string {
	var big *TooLargeError
	var bad *BadInvoiceError
	reason := func(r string, kv ...string) string {
		return access.Details(access.DetailRefused, append([]string{"reason", r}, kv...)...)
	}
	switch {
	case errors.Is(err, ErrNoFile):
		return reason(access.ReasonNoFile)
	case errors.As(err, &big):
		return reason(access.ReasonTooLarge, "limit_mib", strconv.FormatInt(big.Limit>>20, 10))
	case errors.Is(err, ErrNotInvoice):
		return reason(access.ReasonNotInvoice)
	case errors.Is(err, ErrNotRated), errors.Is(err, rating.ErrNotRated):
		return reason(access.ReasonNotRated)
	case errors.Is(err, reconcile.ErrPeriodOpen):
		return reason(access.ReasonPeriodOpen)
	case errors.As(err, &bad):
		return reason(access.ReasonBadInvoice, "text", InvoiceErrorText(bad))
	}
	return reason(access.ReasonFailed, "text", err.Error())
}

// InvoiceErrorText is a refused invoice's errors one to a line in Chinese, as the
// glossary says them (glossary.InputErrors: file, line, record, column, what is wrong);
// an error that is not the reader's as it is.
func InvoiceErrorText(err error) string {
	if s, ok := glossary.InputErrors(err); ok {
		return s
	}
	return err.Error()
}

// invoiceAudit is an invoice's reconciliation or upload to record.
type invoiceAudit struct {
	action string // reconcile, upload
	by     string
	who    access.Event
	vendor catalog.VendorID
	period calendar.Period
	err    error         // why it was refused, nil when done
	detail func() string // the record of it done
}

// auditInvoice records ia in the audit log and returns ia.err (or the failure to record).
func (a *App) auditInvoice(ctx context.Context, ia invoiceAudit) error {
	e := ia.who
	if e.Actor == "" {
		e.Actor = ia.by
	}
	e.At, e.Action, e.Target = a.Now(), ia.action, string(ia.vendor)+" "+ia.period.String()
	if ia.err != nil {
		e.Outcome, e.Detail = "refused", InvoiceRefusalDetail(ia.err)
		if aerr := a.cfg.Store.AppendAudit(context.WithoutCancel(ctx), e); aerr != nil {
			return fmt.Errorf("%w (and its refusal was not audited: %v)", ia.err, aerr)
		}
		return ia.err
	}
	e.Outcome, e.Detail = "ok", ia.detail()
	if aerr := a.cfg.Store.AppendAudit(context.WithoutCancel(ctx), e); aerr != nil {
		return fmt.Errorf("%s of %s: done, but not audited: %w", ia.action, e.Target, aerr)
	}
	return nil
}
