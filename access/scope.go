package access

import (
	"fmt"

	"cloudbill/catalog"
)

// Via says how an identity proved itself.
type Via string

const (
	ViaSession   Via = "session"   // the portal's session cookie
	ViaPersonal  Via = "personal"  // a personal token (Authorization: Bearer)
	ViaCollector Via = "collector" // a vendor's collector token
	ViaLocal     Via = "local"     // the operator's shell (CLI commands)
)

// Identity is who a request (or a command) acts as.
type Identity struct {
	Login Login
	// Role is empty for a collector token.
	Role       Role
	Department catalog.DepartmentID
	Vendor     catalog.VendorID
	Via        Via
	// TokenID is the token used (personal or collector), SessionHash the session.
	TokenID     string
	SessionHash string
}

// Name is how the identity appears in the audit log: the login, or "collector:<vendor>"
// for a collector token.
func (id Identity) Name() string {
	if id.Via == ViaCollector {
		return "collector:" + string(id.Vendor)
	}
	return string(id.Login)
}

// Action is what an identity wants to do with an Object.
type Action string

const (
	// View reads figures, files or records.
	View Action = "view"
	// Close closes a month.
	Close Action = "close"
	// Upload sends an invoice (a vendor's, for reconciliation).
	Upload Action = "upload"
	// Manage changes accounts and tokens.
	Manage Action = "manage"
	// Ingest sends usage samples.
	Ingest Action = "ingest"
)

// ObjectKind names the kinds of things scope is decided on.
type ObjectKind string

const (
	// ObjDepartment: one department's figures and statements (ID: department id).
	ObjDepartment ObjectKind = "department"
	// ObjVendor: one vendor's settlement, deductions, acceptance record, invoices and
	// reconciliations (ID: vendor id).
	ObjVendor ObjectKind = "vendor"
	// ObjDistrict: figures of the whole district (finance summary, every department and
	// vendor at once, the month overview of all).
	ObjDistrict ObjectKind = "district"
	// ObjMonths: the months and their state (open, rated, closed); closing one.
	ObjMonths ObjectKind = "months"
	// ObjOperations: job runs, imports.
	ObjOperations ObjectKind = "operations"
	// ObjAudit: the audit log.
	ObjAudit ObjectKind = "audit"
	// ObjAccounts: users and tokens.
	ObjAccounts ObjectKind = "accounts"
	// ObjSelf: the identity's own account (who am I, sign out).
	ObjSelf ObjectKind = "self"
	// ObjIdle: the list of idle-resource cases. A department may open it and
	// sees only the cases of the departments it may view (each case is decided as
	// Department(case's department)); a vendor may not; the bureaus see every case and
	// the overdue list (the overdue list itself needs District).
	ObjIdle ObjectKind = "idle"
	// ObjBudgets: the project budgets of a year (spent, forecast, state, warnings). A
	// department may open them and sees only the projects of the departments it may view
	// (each decided as Department(project's department)); a vendor may not; the bureaus
	// see every project and the district's warnings.
	ObjBudgets ObjectKind = "budgets"
	// ObjOrders: the list of work orders. A department may open it and sees only the
	// orders of the departments it may view (each decided as Department(order's
	// department)); a vendor may open it and sees only its own orders (Vendor(order's
	// vendor)); the bureaus see every order.
	ObjOrders ObjectKind = "orders"
	// ObjPayments: the payment ledger of a year (payable, paid, outstanding per vendor,
	// with the vouchers). A vendor may open it and sees only its own vendor (each vendor
	// decided as Vendor(id)); a department may not; finance and the bureau see every
	// vendor.
	ObjPayments ObjectKind = "payments"
)

// Object is a thing scope is decided on.
type Object struct {
	Kind ObjectKind
	ID   string
}

func (o Object) String() string {
	if o.ID == "" {
		return string(o.Kind)
	}
	return string(o.Kind) + " " + o.ID
}

// Objects, for readability at call sites.
func Department(id catalog.DepartmentID) Object { return Object{ObjDepartment, string(id)} }
func Vendor(id catalog.VendorID) Object         { return Object{ObjVendor, string(id)} }

func District() Object   { return Object{Kind: ObjDistrict} }
func Months() Object     { return Object{Kind: ObjMonths} }
func Operations() Object { return Object{Kind: ObjOperations} }
func Audit() Object      { return Object{Kind: ObjAudit} }
func Accounts() Object   { return Object{Kind: ObjAccounts} }
func Self() Object       { return Object{Kind: ObjSelf} }
func Idle() Object       { return Object{Kind: ObjIdle} }
func Budgets() Object    { return Object{Kind: ObjBudgets} }
func Orders() Object     { return Object{Kind: ObjOrders} }
func Payments() Object   { return Object{Kind: ObjPayments} }

// Parents tells a department's 主管部门 ("" for a top-level department). A
// catalog.Org answers it through OrgParents.
type Parents interface {
	Parent(catalog.DepartmentID) catalog.DepartmentID
}

// OrgParents reads parents from the organisation master data.
type OrgParents catalog.Org

func (o OrgParents) Parent(id catalog.DepartmentID) catalog.DepartmentID {
	return o.Departments[id].Parent
}

// NoParents is for callers that decide on objects other than departments.
func NoParents() Parents { return OrgParents{} }

// May is THE scope rule of cloudbill: it returns nil when id may do act on obj, and an
// error wrapping ErrForbidden otherwise. Every handler of the portal and its API, every
// file served and the sample ingest ask it; nothing else decides access.
//
//   - department: views its department and the department's subordinate units (at any
//     depth, through parents); views the months list, the idle-case list, the budgets
//     and the work-order list (filtered to those departments) and itself.
//   - vendor: views its own vendor (settlement, deductions, acceptance, reconciliations)
//     and uploads that vendor's invoice; views the months list, the work-order list
//     (filtered to its orders) and itself.
//   - finance: views everything; closes months; no account management.
//   - bureau: everything.
//   - a collector token: ingests samples of its vendor, nothing else.
func (id Identity) May(act Action, obj Object, parents Parents) error {
	if ok := id.may(act, obj, parents); !ok {
		return fmt.Errorf("%s may not %s %s: %w", id.Name(), act, obj, ErrForbidden)
	}
	return nil
}

// Allows is May without the error: the same decision, for filtering many objects (a
// refusal of May makes an error, which a list of thousands pays for each).
func (id Identity) Allows(act Action, obj Object, parents Parents) bool {
	return id.may(act, obj, parents)
}

// SeesCharge reports whether id sees a charge (a rated line, a party's total) of
// department dep with vendor v: it may view the department (for a department: its own or
// a subordinate unit) or the vendor (for a vendor: its own). The lists and figures the
// portal sums (an order's amount, the overview's trend) keep what it sees.
func (id Identity) SeesCharge(dep catalog.DepartmentID, v catalog.VendorID, parents Parents) bool {
	return id.may(View, Department(dep), parents) || id.may(View, Vendor(v), parents)
}

func (id Identity) may(act Action, obj Object, parents Parents) bool {
	if id.Via == ViaCollector {
		return act == Ingest && obj.Kind == ObjVendor && id.Vendor != "" && obj.ID == string(id.Vendor)
	}
	if act == Ingest {
		return false // samples come from collectors (or the operator's shell, not through here)
	}
	if obj.Kind == ObjSelf {
		return act == View
	}
	switch id.Role {
	case RoleBureau:
		return true
	case RoleFinance:
		switch act {
		case View:
			return true
		case Close:
			return obj.Kind == ObjMonths
		}
		return false
	case RoleDepartment:
		if act != View || id.Department == "" {
			return false
		}
		switch obj.Kind {
		case ObjMonths, ObjIdle, ObjBudgets, ObjOrders:
			return true
		case ObjDepartment:
			return within(catalog.DepartmentID(obj.ID), id.Department, parents)
		}
		return false
	case RoleVendor:
		if id.Vendor == "" {
			return false
		}
		switch obj.Kind {
		case ObjMonths, ObjOrders, ObjPayments:
			return act == View
		case ObjVendor:
			return obj.ID == string(id.Vendor) && (act == View || act == Upload)
		}
		return false
	}
	return false
}

// within reports whether dep is root or one of its subordinate units.
func within(dep, root catalog.DepartmentID, parents Parents) bool {
	if dep == "" {
		return false
	}
	seen := map[catalog.DepartmentID]bool{}
	for d := dep; d != "" && !seen[d]; {
		if d == root {
			return true
		}
		seen[d] = true
		if parents == nil {
			break
		}
		d = parents.Parent(d)
	}
	return false
}
