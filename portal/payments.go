package portal

// The year's payments (§21 of the notice) in the portal: GET /payments?year=YYYY (finance and
// the bureau: every vendor's payable, paid and outstanding) and GET
// /vendors/{vendor}/payments?year=YYYY (that vendor, and the bureaus: its payable lines and
// vouchers, 跨年支付 marked). The figures are funding.LoadLedger's, as `cloudbill payments
// show` prints them.

import (
	"net/http"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/funding"
)

// yearRule checks ?year= and asks for obj.
func (s *Server) yearRule(act access.Action, obj access.Object) Rule {
	return func(r *http.Request) (access.Action, access.Object, error) {
		if _, err := s.parseYear(r); err != nil {
			return "", access.Object{}, err
		}
		return act, obj, nil
	}
}

// vendorYearRule: viewing the vendor named by {vendor}, with a valid ?year=.
func (s *Server) vendorYearRule(r *http.Request) (access.Action, access.Object, error) {
	if _, err := s.parseYear(r); err != nil {
		return "", access.Object{}, err
	}
	id, err := parseID(r.PathValue("vendor"))
	if err != nil {
		return "", access.Object{}, err
	}
	return access.View, access.Vendor(catalog.VendorID(id)), nil
}

type paymentsData struct {
	Year    int
	Vendors []funding.VendorYear
	Total   funding.LedgerTotal
	// One: the page of one vendor (its lines and vouchers).
	One bool
}

func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request, c *call, vendor catalog.VendorID) {
	year, _ := s.parseYear(r)
	l, err := funding.LoadLedger(r.Context(), s.cfg.Store, year)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d := paymentsData{Year: year, One: vendor != ""}
	for _, vy := range l {
		if vendor != "" && vy.Vendor != vendor {
			continue
		}
		d.Vendors = append(d.Vendors, vy)
	}
	d.Total = funding.TotalOf(d.Vendors)
	if vendor != "" && len(d.Vendors) == 0 {
		name := c.org.Vendors[vendor].Name
		d.Vendors = []funding.VendorYear{{Vendor: vendor, Name: name, Year: year, Payable: decimal.Zero, Paid: decimal.Zero, Outstanding: decimal.Zero}}
	}
	s.render(w, c, 200, "payments", "付款情况", d)
}

// apiPayments: GET /api/v1/payments?year=YYYY, the ledger of the vendors the caller may
// view (finance and the bureau: every vendor; a vendor: its own), as `payments show
// --format json` writes it.
func (s *Server) apiPayments(w http.ResponseWriter, r *http.Request, c *call) {
	year, _ := s.parseYear(r)
	l, err := funding.LoadLedger(r.Context(), s.cfg.Store, year)
	if err != nil {
		s.fail(w, r, Route{API: true}, 500, "服务暂不可用", err)
		return
	}
	parents := access.OrgParents(c.org)
	var mine []funding.VendorYear
	for _, vy := range l {
		if c.id.May(access.View, access.Vendor(vy.Vendor), parents) == nil {
			mine = append(mine, vy)
		}
	}
	writeJSON(w, 200, struct {
		Year    int                      `json:"year"`
		Vendors []funding.JSONVendorYear `json:"vendors"`
	}{year, funding.LedgerJSON(mine)})
}

// paymentsPage: every vendor's ledger of the year (finance, bureau).
func (s *Server) paymentsPage(w http.ResponseWriter, r *http.Request, c *call) {
	s.ledgerPage(w, r, c, "")
}

// vendorPaymentsPage: one vendor's ledger of the year.
func (s *Server) vendorPaymentsPage(w http.ResponseWriter, r *http.Request, c *call) {
	s.ledgerPage(w, r, c, catalog.VendorID(r.PathValue("vendor")))
}
