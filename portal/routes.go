package portal

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// Routes is every route of the portal and its API with its scope rule. The router is
// built from it (New) and the access-matrix test enumerates it.
func (s *Server) Routes() []Route {
	self := fixed(access.View, access.Self())
	return []Route{
		// sign-in and assets
		{Method: "GET", Pattern: "/login", Public: true, handle: s.loginPage},
		{Method: "POST", Pattern: "/login", Public: true, handle: s.login},
		{Method: "GET", Pattern: "/static/{file}", Public: true, handle: s.static},

		// pages
		{Method: "POST", Pattern: "/logout", Rule: self, handle: s.logout},
		{Method: "GET", Pattern: "/{$}", Rule: self, handle: s.overview},
		{Method: "GET", Pattern: "/search", Rule: self, handle: s.searchPage},
		{Method: "GET", Pattern: "/months", Rule: fixed(access.View, access.Months()), handle: s.monthsPage},
		{Method: "GET", Pattern: "/months/{period}/close", Rule: withPeriod(access.Close, access.Months()), handle: s.closeConfirm},
		{Method: "POST", Pattern: "/months/{period}/close", Rule: withPeriod(access.Close, access.Months()), handle: s.closeMonth},
		{Method: "GET", Pattern: "/statements/{period}", Rule: withPeriod(access.View, access.Months()), handle: s.statementsPage},
		{Method: "GET", Pattern: "/departments/{department}/{period}", Rule: departmentRule("department"), handle: s.drillPage},
		{Method: "GET", Pattern: "/departments/{department}/{period}/compare", Rule: departmentRule("department"), handle: s.comparePage},
		{Method: "GET", Pattern: "/district/{period}/compare", Rule: withPeriod(access.View, access.District()), handle: s.districtComparePage},
		{Method: "GET", Pattern: "/vendors/{vendor}/{period}", Rule: vendorRule(access.View), handle: s.vendorPage},
		{Method: "POST", Pattern: "/vendors/{vendor}/{period}/invoice", Rule: vendorRule(access.Upload), handle: s.uploadInvoice},
		{Method: "GET", Pattern: "/vendors/{vendor}/reconciliations/{upload}", Rule: vendorUploadRule, handle: s.reconciliationPage},
		{Method: "GET", Pattern: "/vendors/{vendor}/reconciliations/{upload}/{file}", Rule: vendorUploadRule, handle: s.reconciliationFile},
		{Method: "GET", Pattern: "/orders", Rule: fixed(access.View, access.Orders()), handle: s.ordersPage},
		{Method: "GET", Pattern: "/idle", Rule: fixed(access.View, access.Idle()), handle: s.idleList},
		{Method: "GET", Pattern: "/idle/overdue.csv", Rule: fixed(access.View, access.District()), handle: s.idleOverdueCSV},
		{Method: "GET", Pattern: "/idle/{case}", Rule: caseRule, handle: s.idleCase},
		{Method: "GET", Pattern: "/budgets", Rule: s.budgetsRule, handle: s.budgetsPage},
		{Method: "GET", Pattern: "/departments/{department}/declaration", Rule: declarationRule, handle: s.declarationFile},
		{Method: "GET", Pattern: "/payments", Rule: s.yearRule(access.View, access.District()), handle: s.paymentsPage},
		{Method: "GET", Pattern: "/vendors/{vendor}/payments", Rule: s.vendorYearRule, handle: s.vendorPaymentsPage},
		{Method: "GET", Pattern: "/collection/{period}", Rule: withPeriod(access.View, access.District()), handle: s.collectionPage},
		{Method: "GET", Pattern: "/vendors/{vendor}/collection/{period}", Rule: vendorCollectionRule, handle: s.vendorCollectionPage},
		{Method: "GET", Pattern: "/operations", Rule: fixed(access.View, access.Operations()), handle: s.operationsPage},
		{Method: "GET", Pattern: "/audit", Rule: fixed(access.View, access.Audit()), handle: s.auditPage},
		{Method: "GET", Pattern: "/accounts", Rule: fixed(access.Manage, access.Accounts()), handle: s.accountsPage},
		{Method: "POST", Pattern: "/accounts", Rule: fixed(access.Manage, access.Accounts()), handle: s.addAccount},
		{Method: "GET", Pattern: "/accounts/{login}/disable", Rule: loginRule, handle: s.disableConfirm},
		{Method: "POST", Pattern: "/accounts/{login}/disable", Rule: loginRule, handle: s.disableAccount},
		{Method: "POST", Pattern: "/accounts/{login}/enable", Rule: loginRule, handle: s.enableAccount},
		{Method: "GET", Pattern: "/accounts/{login}/reset-password", Rule: loginRule, handle: s.resetConfirm},
		{Method: "POST", Pattern: "/accounts/{login}/reset-password", Rule: loginRule, handle: s.resetPassword},

		// JSON API (docs/http.md "Portal and its API")
		{Method: "GET", Pattern: "/api/v1/me", API: true, Rule: self, handle: s.apiMe},
		{Method: "GET", Pattern: "/api/v1/periods", API: true, Rule: fixed(access.View, access.Months()), handle: s.apiPeriods},
		{Method: "GET", Pattern: "/api/v1/breakdown", API: true, Rule: breakdownRule, handle: s.apiBreakdown},
		{Method: "GET", Pattern: "/api/v1/budgets", API: true, Rule: s.budgetsRule, handle: s.apiBudgets},
		{Method: "GET", Pattern: "/api/v1/payments", API: true, Rule: s.yearRule(access.View, access.Payments()), handle: s.apiPayments},
		{Method: "GET", Pattern: "/api/v1/statements/{period}/departments/{file}", API: true, Rule: statementRule(access.ObjDepartment), handle: s.apiStatementFile},
		{Method: "GET", Pattern: "/api/v1/statements/{period}/vendors/{file}", API: true, Rule: statementRule(access.ObjVendor), handle: s.apiStatementFile},
		{Method: "GET", Pattern: "/api/v1/statements/{period}/{file}", API: true, Rule: statementRule(access.ObjDistrict), handle: s.apiStatementFile},
		{Method: "GET", Pattern: "/api/v1/compare", API: true, Rule: breakdownRule, handle: s.apiCompare},
		{Method: "GET", Pattern: "/api/v1/district/compare", API: true, Rule: periodQueryRule(access.View, access.District()), handle: s.apiDistrictCompare},
		{Method: "GET", Pattern: "/api/v1/search", API: true, Rule: self, handle: s.apiSearch},
		{Method: "GET", Pattern: "/api/v1/orders", API: true, Rule: fixed(access.View, access.Orders()), handle: s.apiOrders},
		{Method: "GET", Pattern: "/api/v1/idle/cases", API: true, Rule: fixed(access.View, access.Idle()), handle: s.apiIdleCases},
		{Method: "GET", Pattern: "/api/v1/collection/{period}", API: true, Rule: withPeriod(access.View, access.District()), handle: s.apiCollection},
		{Method: "GET", Pattern: "/api/v1/vendors/{vendor}/collection/{period}", API: true, Rule: vendorCollectionRule, handle: s.apiCollection},
	}
}

// fixed is a rule on an object named by no parameter.
func fixed(act access.Action, obj access.Object) Rule {
	return func(*http.Request) (access.Action, access.Object, error) { return act, obj, nil }
}

// withPeriod checks the {period} parameter, then asks for obj.
func withPeriod(act access.Action, obj access.Object) Rule {
	return func(r *http.Request) (access.Action, access.Object, error) {
		if _, err := parsePeriod(r.PathValue("period")); err != nil {
			return "", access.Object{}, err
		}
		return act, obj, nil
	}
}

// departmentRule: viewing the department named by the path parameter.
func departmentRule(param string) Rule {
	return func(r *http.Request) (access.Action, access.Object, error) {
		if _, err := parsePeriod(r.PathValue("period")); err != nil {
			return "", access.Object{}, err
		}
		id, err := parseID(r.PathValue(param))
		if err != nil {
			return "", access.Object{}, err
		}
		return access.View, access.Department(catalog.DepartmentID(id)), nil
	}
}

// vendorRule: act on the vendor named by {vendor}.
func vendorRule(act access.Action) Rule {
	return func(r *http.Request) (access.Action, access.Object, error) {
		if _, err := parsePeriod(r.PathValue("period")); err != nil {
			return "", access.Object{}, err
		}
		id, err := parseID(r.PathValue("vendor"))
		if err != nil {
			return "", access.Object{}, err
		}
		return act, access.Vendor(catalog.VendorID(id)), nil
	}
}

// vendorUploadRule: viewing one of a vendor's reconciliations (the handler checks that
// the upload belongs to the vendor).
func vendorUploadRule(r *http.Request) (access.Action, access.Object, error) {
	id, err := parseID(r.PathValue("vendor"))
	if err != nil {
		return "", access.Object{}, err
	}
	if _, err := parseID(r.PathValue("upload")); err != nil {
		return "", access.Object{}, err
	}
	return access.View, access.Vendor(catalog.VendorID(id)), nil
}

func loginRule(r *http.Request) (access.Action, access.Object, error) {
	if _, err := access.ParseLogin(r.PathValue("login")); err != nil {
		return "", access.Object{}, badInput("%v", err)
	}
	return access.Manage, access.Accounts(), nil
}

// breakdownRule: GET /api/v1/breakdown?period=YYYY-MM&department=ID.
func breakdownRule(r *http.Request) (access.Action, access.Object, error) {
	q := r.URL.Query()
	if _, err := parsePeriod(q.Get("period")); err != nil {
		return "", access.Object{}, err
	}
	id, err := parseID(q.Get("department"))
	if err != nil {
		return "", access.Object{}, err
	}
	return access.View, access.Department(catalog.DepartmentID(id)), nil
}

// statementRule: a statement file of a department, a vendor, or the district summary.
func statementRule(kind access.ObjectKind) Rule {
	return func(r *http.Request) (access.Action, access.Object, error) {
		if _, err := parsePeriod(r.PathValue("period")); err != nil {
			return "", access.Object{}, err
		}
		id, _, err := parseFile(r.PathValue("file"))
		if err != nil {
			return "", access.Object{}, err
		}
		switch kind {
		case access.ObjDepartment:
			return access.View, access.Department(catalog.DepartmentID(id)), nil
		case access.ObjVendor:
			return access.View, access.Vendor(catalog.VendorID(id)), nil
		}
		if id != "summary" {
			return "", access.Object{}, badInput("unknown statement %q (summary.pdf or summary.csv)", r.PathValue("file"))
		}
		return access.View, access.District(), nil
	}
}

// parsePeriod reads a YYYY-MM path or query value.
func parsePeriod(s string) (calendar.Period, error) {
	p, err := calendar.ParsePeriod(s)
	if err != nil || p.Year < 2000 || p.Year > 2200 {
		return calendar.Period{}, badInput("month %q: want YYYY-MM", truncate(s))
	}
	return p, nil
}

// parseID reads an id (department, vendor, upload): 1–128 printable characters, no
// slash.
func parseID(s string) (string, error) {
	if s == "" || len(s) > 128 || strings.ContainsAny(s, "/\\") {
		return "", badInput("id %q: want 1–128 characters without / or \\", truncate(s))
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return "", badInput("id %q: control or space characters", truncate(s))
		}
	}
	return s, nil
}

// parseFile splits "ID.pdf" / "ID.csv".
func parseFile(s string) (id, ext string, err error) {
	switch {
	case strings.HasSuffix(s, ".pdf"):
		id, ext = strings.TrimSuffix(s, ".pdf"), "pdf"
	case strings.HasSuffix(s, ".csv"):
		id, ext = strings.TrimSuffix(s, ".csv"), "csv"
	case strings.HasSuffix(s, ".xlsx"):
		id, ext = strings.TrimSuffix(s, ".xlsx"), "xlsx"
	default:
		return "", "", badInput("file %q: want ID.pdf, ID.csv or ID.xlsx", truncate(s))
	}
	if _, err := parseID(id); err != nil {
		return "", "", err
	}
	return id, ext, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
