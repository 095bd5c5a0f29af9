package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/document/pdf"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/reconcile"
	"cloudbill/reconcile/invoicefile"
)

// What the audit log keeps of an invoice refused, whichever way it came in: the reason,
// the bound of a file too large, the Chinese words of a bad invoice, or "failed" and the
// error's text.
func TestInvoiceRefusalDetail(t *testing.T) {
	_, readErr := invoicefile.ReadFrom("v.csv", strings.NewReader("vendor_id,period,order_id\n"), reconcile.Expect{Vendor: "V1", Period: calendar.MustPeriod("2026-10")})
	require.Error(t, readErr)
	bad := &BadInvoiceError{readErr}
	for _, c := range []struct {
		err  error
		want string
	}{
		{ErrNoFile, "refused?reason=no_file"},
		{&TooLargeError{Limit: 20 << 20}, "refused?limit_mib=20&reason=too_large"},
		{&NotInvoiceError{File: "a.pdf"}, "refused?reason=not_invoice"},
		{&NotInvoiceError{File: "e.csv", Empty: true}, "refused?reason=not_invoice"},
		{fmt.Errorf("2026-10: %w", ErrNotRated), "refused?reason=not_rated"},
		{fmt.Errorf("reconcile 2026-10: %w", rating.ErrNotRated), "refused?reason=not_rated"},
		{fmt.Errorf("%w: 2026-10 is not closed", reconcile.ErrPeriodOpen), "refused?reason=period_open"},
		{bad, access.Details(access.DetailRefused, "reason", access.ReasonBadInvoice, "text", InvoiceErrorText(bad))},
		{fmt.Errorf("%w \"V9\"", reconcile.ErrUnknownVendor), access.Details(access.DetailRefused, "reason", access.ReasonFailed, "text", `unknown vendor "V9"`)},
		{errors.New("disk full"), "refused?reason=failed&text=disk+full"},
	} {
		assert.Equal(t, c.want, InvoiceRefusalDetail(c.err), "%v", c.err)
	}
	assert.Contains(t, InvoiceErrorText(bad), "文件 v.csv 第 1 行", "the bad invoice's words are the glossary's")
}

// What the audit log keeps of an invoice reconciled: file, lines, hash, the upload that
// keeps it (none for the command line) and the number of differences.
func TestReconciliationAuditDetail(t *testing.T) {
	r := Reconciliation{File: "v.csv", SHA256: "ff00", Claims: 120}
	assert.Equal(t, "invoice?differences=0&file=v.csv&lines=120&sha256=ff00&upload=U1", r.AuditDetail("U1"))
	assert.Equal(t, "invoice?differences=0&file=v.csv&lines=120&sha256=ff00", r.AuditDetail(""))
}

func TestUploadName(t *testing.T) {
	for sent, want := range map[string]string{"": "invoice.csv", "v.csv": "v.csv", `C:\Users\li\v.xlsx`: "v.xlsx", "../../etc/v.csv": "v.csv", "/": "invoice.csv"} {
		assert.Equal(t, want, UploadName(sent), sent)
	}
}

func TestCheckInvoiceFile(t *testing.T) {
	for _, c := range []struct {
		name string
		body string
		want error // nil: accepted
	}{
		{"csv", "vendor_id,period\n", nil},
		{"gb18030 text", "vendor_id,x_备注\nV1,\xd4\xc6\n", nil},
		{"xlsx", "PK\x03\x04rest", nil},
		{"empty", "", &NotInvoiceError{File: "f", Empty: true}},
		{"pdf", "%PDF-1.4\n", &NotInvoiceError{File: "f"}},
		{"old xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", &NotInvoiceError{File: "f"}},
		{"a NUL byte", "a,b\n\x00", &NotInvoiceError{File: "f"}},
		{"control bytes in non-UTF-8", "a,\xff\x01\n", &NotInvoiceError{File: "f"}},
	} {
		assert.Equal(t, c.want, CheckInvoiceFile("f", []byte(c.body)), c.name)
	}
}

// uploadStore is a hand-written fake of what an upload reads before the invoice (the
// month's close and latest run) and the audit log; the rest of Store is not called.
type uploadStore struct {
	Store
	events []access.Event
}

func (s *uploadStore) CloseOf(context.Context, calendar.Period) (rating.Close, bool, error) {
	return rating.Close{}, false, nil
}
func (s *uploadStore) LatestRun(context.Context, calendar.Period) (rating.Run, error) {
	return rating.Run{}, rating.ErrNotRated
}
func (s *uploadStore) AppendAudit(_ context.Context, e access.Event) error {
	s.events = append(s.events, e)
	return nil
}

// TestInvoiceRefusalsAudited: an upload refused (no file, too large, not a CSV or .xlsx,
// the month not rated) and a reconciliation refused (a bad invoice) are each in the audit
// log with who asked and the refusal's detail; nothing else is read or stored.
func TestInvoiceRefusalsAudited(t *testing.T) {
	st := &uploadStore{}
	now := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	a, err := New(Config{Store: st, Now: func() time.Time { return now }, LoadFont: pdf.Load})
	require.NoError(t, err)
	ctx := context.Background()
	p := calendar.MustPeriod("2026-10")
	who := access.Event{Actor: "ven1", Role: access.RoleVendor, Remote: "127.0.0.1"}
	for _, c := range []struct {
		name string
		body []byte // nil: no file
		want error
	}{
		{"no file", nil, ErrNoFile},
		{"too large", bytes.Repeat([]byte("a"), 1<<20+1), ErrTooLarge},
		{"empty", []byte{}, ErrNotInvoice},
		{"pdf", []byte("%PDF-1.4\n"), ErrNotInvoice},
		{"not rated", []byte("vendor_id,period,order_id,item_code,amount\n"), ErrNotRated},
	} {
		req := UploadRequest{Vendor: "V1", Period: p, Name: "v.csv", MaxBytes: 1 << 20, By: "ven1", Who: who}
		if c.body != nil {
			req.Invoice = bytes.NewReader(c.body)
		}
		_, _, err := a.UploadInvoice(ctx, req)
		require.ErrorIs(t, err, c.want, c.name)
		require.NotEmpty(t, st.events, c.name)
		e := st.events[len(st.events)-1]
		assert.Equal(t, access.Event{At: now, Actor: "ven1", Role: access.RoleVendor, Remote: "127.0.0.1", Action: "upload", Target: "V1 2026-10",
			Outcome: "refused", Detail: InvoiceRefusalDetail(err)}, e, c.name)
	}
	assert.Equal(t, []string{"refused?reason=no_file", "refused?limit_mib=1&reason=too_large", "refused?reason=not_invoice", "refused?reason=not_invoice", "refused?reason=not_rated"},
		details(st.events))

	// the command line's reconciliation of a bad invoice: refused for the same reason, in
	// the same words, as the portal's upload of it
	st.events = nil
	_, err = a.Reconcile(ctx, ReconcileRequest{Vendor: "V1", Period: p, Name: "v.csv", Invoice: strings.NewReader("vendor_id,period,order_id\n"), By: "cli"})
	require.ErrorIs(t, err, ErrBadInvoice)
	require.Len(t, st.events, 1)
	assert.Equal(t, access.Event{At: now, Actor: "cli", Action: "reconcile", Target: "V1 2026-10", Outcome: "refused", Detail: InvoiceRefusalDetail(err)}, st.events[0])
	assert.Contains(t, st.events[0].Detail, "reason=bad_invoice")
}

func details(evs []access.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Detail)
	}
	return out
}
