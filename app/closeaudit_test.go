package app

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"cloudbill/monthclose"
	"cloudbill/rating"
)

// What the audit log keeps of a close done: already closed, or the frozen run with its
// lines, total, hash and the overrides used.
func TestCloseAuditDetail(t *testing.T) {
	assert.Equal(t, "close?already=1", CloseResult{Result: monthclose.Result{Already: true}}.AuditDetail())
	c := rating.Close{RunID: "2026-10-0123456789abcdef", Lines: 12, Total: decimal.RequireFromString("1234.5"), ContentHash: "abc"}
	done := CloseResult{Result: monthclose.Result{Close: c}}
	assert.Equal(t, "close?hash=abc&lines=12&run=2026-10-0123456789abcdef&total=1234.50", done.AuditDetail())
	c.AllowPending = true
	both := CloseResult{Result: monthclose.Result{Close: c}, Incomplete: &IncompleteError{Windows: 3}}
	assert.Equal(t, "close?hash=abc&lines=12&missing=3&pending=1&run=2026-10-0123456789abcdef&total=1234.50", both.AuditDetail())
}

// What the audit log keeps of a close refused: the refusal's reason, or "failed" and the
// error's text.
func TestCloseRefusalDetail(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&IncompleteError{Windows: 2}, "refused?reason=incomplete"},
		{fmt.Errorf("close 2026-10: %w", monthclose.ErrNotEnded), "refused?reason=not_ended"},
		{fmt.Errorf("close 2026-10: %w", monthclose.ErrNotRated), "refused?reason=not_rated"},
		{fmt.Errorf("close 2026-10: %w", monthclose.ErrPending), "refused?reason=pending"},
		{fmt.Errorf("close 2026-10: %w", monthclose.ErrBeingClosed), "refused?reason=being_closed"},
		{errors.New("disk full"), "refused?reason=failed&text=disk+full"},
	} {
		assert.Equal(t, c.want, CloseRefusalDetail(c.err), "%v", c.err)
	}
}
