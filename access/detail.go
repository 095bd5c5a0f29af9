package access

import (
	"errors"
	"net/url"

	"cloudbill/internal/coded"
)

// DetailCode names what an audit event's Detail says. The detail is data: a code and its
// values ("code?key=value&…", Details), never words; package glossary renders it in
// Chinese (glossary.AuditDetail). A detail recorded before details were data prints as
// it was stored.
type DetailCode string

const (
	// DetailSessions: sessions ended by the change (disable, password reset). Values: n.
	DetailSessions DetailCode = "sessions"
	// DetailAccount: an account added. Values: role, department, vendor ("" none).
	DetailAccount DetailCode = "account"
	// DetailRefused: why the action was refused. Values: reason (a Reason*), text (the
	// refused input's own message, when there is one).
	DetailRefused DetailCode = "refused"
	// DetailToken: a token created. Values: kind (personal, collector), login or vendor.
	DetailToken DetailCode = "token"
	// DetailClose: a month closed. Values: run, lines, total, hash, and pending=1 (closed
	// with acceptance pending), missing (collector windows missing), already=1 (it was
	// closed before: nothing done).
	DetailClose DetailCode = "close"
	// DetailInvoice: a vendor invoice reconciled. Values: file, lines, sha256, upload,
	// differences.
	DetailInvoice DetailCode = "invoice"
	// DetailStatement: a statement file downloaded. Values: state (provisional, final),
	// issue.
	DetailStatement DetailCode = "statement"
	// DetailAsOf: a file made as of a date (the declaration). Values: date.
	DetailAsOf DetailCode = "as_of"
	// DetailImport: a file imported. Values: import (its id), accepted, replaced, of
	// (budgets, thresholds, vouchers).
	DetailImport DetailCode = "import"
	// DetailEstimate: a December estimate issued or withdrawn. Values: period, as_of,
	// lines, total, hash, reason (a withdrawal's).
	DetailEstimate DetailCode = "estimate"
)

// Why an action was refused (DetailRefused's reason).
const (
	ReasonSelf         = "self"          // an account does not disable itself
	ReasonLastBureau   = "last_bureau"   // the last enabled bureau account
	ReasonUnknownLogin = "unknown_login" // no such account
	ReasonWrongPass    = "wrong_password"
	ReasonDisabled     = "account_disabled"
	ReasonCSRF         = "csrf" // missing or wrong form token
	ReasonNotEnded     = "not_ended"
	ReasonNotRated     = "not_rated"
	ReasonPending      = "pending"      // acceptance pending
	ReasonIncomplete   = "incomplete"   // collector windows missing
	ReasonBeingClosed  = "being_closed" // another close under way
	ReasonNoFile       = "no_file"
	ReasonTooLarge     = "too_large" // values: limit_mib
	ReasonNotInvoice   = "not_invoice"
	ReasonPeriodOpen   = "period_open"
	ReasonBadInvoice   = "bad_invoice" // text: what is wrong, where
	ReasonFailed       = "failed"      // text: the error
)

// Details is the stored form of a detail: code and values from key, value pairs (keys
// with an empty value left out), "code?key=value&…" with the values query-escaped
// (package coded).
func Details(code DetailCode, kv ...string) string { return coded.Text(string(code), kv...) }

// ParseDetail reads a stored detail back: ok is false for one that is not a code and
// values (recorded before details were data), to be shown as stored.
func ParseDetail(s string) (code DetailCode, v url.Values, ok bool) {
	c, v, ok := coded.Parse(s)
	return DetailCode(c), v, ok
}

// refusedDetail is the detail of an account change refused by err.
func refusedDetail(err error) string {
	switch {
	case errors.Is(err, ErrSelf):
		return Details(DetailRefused, "reason", ReasonSelf)
	case errors.Is(err, ErrLastBureau):
		return Details(DetailRefused, "reason", ReasonLastBureau)
	}
	return Details(DetailRefused, "reason", ReasonFailed, "text", err.Error())
}

// tokenDetail is the detail of a token created.
func tokenDetail(t Token) string {
	if t.Kind == TokenCollector {
		return Details(DetailToken, "kind", string(t.Kind), "vendor", string(t.Vendor))
	}
	return Details(DetailToken, "kind", string(t.Kind), "login", string(t.Login))
}
