package app

import (
	"errors"
	"strconv"

	"cloudbill/access"
	"cloudbill/internal/money"
	"cloudbill/monthclose"
)

// The audit log's record of a close asked for (the portal records one per request, with
// the identity and address that asked): what the close did, or why it was refused.

// AuditDetail is the record of a close done (access.DetailClose): "already" for a month
// closed before, else the frozen run, its lines, total and content hash, and the
// overrides the close used (acceptance pending, collector windows missing).
func (r CloseResult) AuditDetail() string {
	if r.Already {
		return access.Details(access.DetailClose, "already", "1")
	}
	kv := []string{"run", r.Close.RunID, "lines", strconv.Itoa(r.Close.Lines), "total", money.Plain(r.Close.Total), "hash", r.Close.ContentHash}
	if r.Close.AllowPending {
		kv = append(kv, "pending", "1")
	}
	if r.Incomplete != nil {
		kv = append(kv, "missing", strconv.Itoa(r.Incomplete.Windows))
	}
	return access.Details(access.DetailClose, kv...)
}

// CloseRefusalDetail is the record of a close refused with err (access.DetailRefused):
// the refusal's reason (collector windows missing, month not ended, not rated, acceptance
// pending, being closed by another), or for any other error "failed" with its text.
func CloseRefusalDetail(err error) string {
	for _, r := range []struct {
		err    error
		reason string
	}{
		{ErrIncomplete, access.ReasonIncomplete},
		{monthclose.ErrNotEnded, access.ReasonNotEnded},
		{monthclose.ErrNotRated, access.ReasonNotRated},
		{monthclose.ErrPending, access.ReasonPending},
		{monthclose.ErrBeingClosed, access.ReasonBeingClosed},
	} {
		if errors.Is(err, r.err) {
			return access.Details(access.DetailRefused, "reason", r.reason)
		}
	}
	return access.Details(access.DetailRefused, "reason", access.ReasonFailed, "text", err.Error())
}
