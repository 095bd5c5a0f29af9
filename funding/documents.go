package funding

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/document/sheet"
	"cloudbill/glossary"
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
	"cloudbill/internal/xlsxout"
	"cloudbill/rating"
)

// EstimateDoc is the printed estimated settlement of vendor v (marked 预估 on every page).
func EstimateDoc(e Estimate, org catalog.Org, v catalog.VendorID, issued time.Time) sheet.Doc {
	name := org.Vendors[v].Name
	d := sheet.Doc{
		Title:   glossary.FundingText("estimate_title", "period", e.Period.String(), "vendor", name),
		Header:  glossary.FundingText("estimate_header", "period", e.Period.String(), "code", string(v)),
		Mark:    Label("estimate") + " / ESTIMATE",
		Created: issued.UTC(),
	}
	tot := rating.TotalsOf(nil)
	rate := e.Rates[v]
	w := glossary.EstimateWord
	t := sheet.Table{Columns: []sheet.Column{{Title: w("department"), Width: 3}, {Title: w("project"), Width: 2}, {Title: w("order"), Width: 2}, {Title: w("item"), Width: 2},
		{Title: w("kind"), Width: 2}, {Title: w("to_date"), Width: 2, Align: sheet.Right}, {Title: w("rest"), Width: 2, Align: sheet.Right},
		{Title: w("amount"), Width: 2, Align: sheet.Right}}}
	for _, l := range e.Lines {
		if l.Vendor != v {
			continue
		}
		tot.Add(rating.Line{Kind: l.Kind, Amount: l.Amount})
		dep := org.Departments[l.Department].Name
		if dep == "" {
			dep = string(l.Department)
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{dep, string(l.Project), string(l.Order), string(l.Item), glossary.Kind(l.Kind),
			money.Grouped(money.Round(l.ToDate)), money.Grouped(money.Round(l.Rest)), money.Grouped(l.Amount)}})
	}
	gross, ded, adj, net := tot.Gross, tot.Deductions, tot.Adjustments, tot.Net
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{w("total"), "", "", "", "", "", "", money.Grouped(net)}, Style: sheet.Total})
	rateText := glossary.FundingText("estimate_no_rate")
	if rate.From.Year != 0 {
		rateText = glossary.FundingText("estimate_rate", "rate", rate.Rate.Shift(2).StringFixed(2), "from", rate.From.String())
	}
	d.Add(
		sheet.Para{Text: glossary.FundingText("estimate_intro", "period", e.Period.String(), "as_of", e.AsOf.String(), "true_up", Label("true_up"))},
		sheet.Fields{Pairs: []sheet.Field{
			{Label: w("vendor"), Value: name + "（" + string(v) + "）"}, {Label: w("as_of"), Value: e.AsOf.String()},
			{Label: glossary.Gross, Value: money.Grouped(gross)}, {Label: glossary.Kind("deduction"), Value: money.Grouped(ded)},
			{Label: w("adjustments"), Value: money.Grouped(adj)}, {Label: w("rate"), Value: rateText},
			{Label: w("estimate_net"), Value: money.Grouped(net)}, {Label: w("hash"), Value: e.Hash},
		}},
		t,
	)
	return d
}

// ledgerHeader is the CSV header of payments show (docs/formats.md).
var ledgerHeader = []string{"vendor_id", "name", "year", "payable", "paid", "outstanding", "estimate", "true_up", "vouchers", "cross_year_vouchers"}

func (vy VendorYear) kindSum(k PayableKind) decimal.Decimal {
	s := decimal.Zero
	for _, l := range vy.Lines {
		if l.Kind == k {
			s = s.Add(l.Amount)
		}
	}
	return s
}

func (vy VendorYear) crossYear() int {
	n := 0
	for _, p := range vy.Vouchers {
		if p.CrossYear() {
			n++
		}
	}
	return n
}

// WriteLedgerCSV writes one row per vendor.
func WriteLedgerCSV(w io.Writer, l []VendorYear) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(ledgerHeader); err != nil {
		return err
	}
	for _, vy := range l {
		if err := cw.Write([]string{string(vy.Vendor), vy.Name, strconv.Itoa(vy.Year), money.Plain(vy.Payable), money.Plain(vy.Paid),
			money.Plain(vy.Outstanding), money.Plain(vy.kindSum(PayableEstimate)), money.Plain(vy.kindSum(PayableTrueUp)),
			strconv.Itoa(len(vy.Vouchers)), strconv.Itoa(vy.crossYear())}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// JSONVendorYear is a vendor's ledger in JSON.
type JSONVendorYear struct {
	VendorID    string        `json:"vendor_id"`
	Name        string        `json:"name"`
	Year        int           `json:"year"`
	Payable     string        `json:"payable"`
	Paid        string        `json:"paid"`
	Outstanding string        `json:"outstanding"`
	Lines       []JSONPayable `json:"payable_lines"`
	Vouchers    []JSONVoucher `json:"vouchers"`
}

// JSONPayable is one payable line in JSON.
type JSONPayable struct {
	Period string `json:"period"`
	Kind   string `json:"kind"`
	Label  string `json:"label"`
	Amount string `json:"amount"`
}

// JSONVoucher is one voucher in JSON.
type JSONVoucher struct {
	Voucher   string `json:"voucher_no"`
	Period    string `json:"period"`
	Amount    string `json:"amount"`
	PaidDate  string `json:"paid_date"`
	Refunds   string `json:"refunds,omitempty"`
	CrossYear bool   `json:"cross_year"`
}

// PayableLabel is the Chinese word of a payable line's kind.
func PayableLabel(k PayableKind) string {
	switch k {
	case PayableClosed:
		return Label("closed")
	case PayableEstimate:
		return Label("estimate")
	case PayableTrueUp:
		return Label("true_up")
	}
	return string(k)
}

// LedgerJSON is the ledger as JSON values.
func LedgerJSON(l []VendorYear) []JSONVendorYear {
	out := make([]JSONVendorYear, 0, len(l))
	for _, vy := range l {
		j := JSONVendorYear{VendorID: string(vy.Vendor), Name: vy.Name, Year: vy.Year, Payable: money.Plain(vy.Payable), Paid: money.Plain(vy.Paid),
			Outstanding: money.Plain(vy.Outstanding), Lines: []JSONPayable{}, Vouchers: []JSONVoucher{}}
		for _, x := range vy.Lines {
			j.Lines = append(j.Lines, JSONPayable{x.Period.String(), string(x.Kind), PayableLabel(x.Kind), money.Plain(x.Amount)})
		}
		for _, p := range vy.Vouchers {
			j.Vouchers = append(j.Vouchers, JSONVoucher{p.Voucher, p.Period.String(), money.Plain(p.Amount), p.PaidDate.String(), p.Refunds, p.CrossYear()})
		}
		out = append(out, j)
	}
	return out
}

// WriteLedgerJSON writes {"year", "vendors": [...]}.
func WriteLedgerJSON(w io.Writer, year int, l []VendorYear) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Year    int              `json:"year"`
		Vendors []JSONVendorYear `json:"vendors"`
	}{year, LedgerJSON(l)})
}

// WriteLedgerTable writes each vendor's payable lines and vouchers, 跨年支付 marked.
func WriteLedgerTable(w io.Writer, year int, l []VendorYear) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, vy := range l {
		fmt.Fprintf(tw, "%s %s %d\tpayable %s\tpaid %s\toutstanding %s\n", vy.Vendor, vy.Name, year, money.Grouped(vy.Payable), money.Grouped(vy.Paid), money.Grouped(vy.Outstanding))
		for _, x := range vy.Lines {
			fmt.Fprintf(tw, "  %s\t%s %s\t%s\t\n", x.Period, x.Kind, PayableLabel(x.Kind), money.Grouped(x.Amount))
		}
		for _, p := range vy.Vouchers {
			mark := ""
			if p.CrossYear() {
				mark = Label("cross_year")
			}
			if p.Refunds != "" {
				mark += " " + Label("refund") + " " + p.Refunds
			}
			fmt.Fprintf(tw, "  voucher %s\t%s paid %s\t%s\t%s\n", p.Voucher, p.Period, p.PaidDate, money.Grouped(p.Amount), mark)
		}
	}
	total := TotalOf(l)
	fmt.Fprintf(tw, "total %d\tpayable %s\tpaid %s\toutstanding %s\n", year, money.Grouped(total.Payable), money.Grouped(total.Paid), money.Grouped(total.Outstanding))
	return tw.Flush()
}

// declarationHeaders are the columns of a department's 测算表 (CSV and workbook).
var declarationHeaders = []string{"department_id", "parent_id", "project_id", "project_name", "category", "declared_as", "item_code",
	"item_name", "vendor_id", "zone", "billing", "orders", "quantity", "unit_price", "monthly", "annual", "basis"}

// DeclarationTable is the 测算表 of department dep as a table (xlsxout: CSV or workbook);
// its total row is the sum of the annual column.
func DeclarationTable(d Declaration, org catalog.Org, dep catalog.DepartmentID) xlsxout.Table {
	of := d.Of(dep)
	name := org.Departments[dep].Name
	t := xlsxout.Table{Sheet: Label("declaration"), Title: fmt.Sprintf("%s %d 年云资源运维项目%s（截至 %s 在用资源）", name, d.Year, Label("declaration"), d.AsOf),
		Headers: declarationHeaders}
	for _, l := range of.Lines {
		qty, price := xlsxout.Text(""), xlsxout.Text("")
		if l.Billing == catalog.Allocated {
			qty, price = xlsxout.Number(l.Quantity), xlsxout.Money(l.UnitPrice)
		}
		t.Rows = append(t.Rows, []xlsxout.Cell{xlsxout.Text(string(l.Department)), xlsxout.Text(string(l.Parent)), xlsxout.Text(string(l.Project)),
			xlsxout.Text(l.Name), xlsxout.Text(string(l.Category)), xlsxout.Text(l.Label), xlsxout.Text(string(l.Item)), xlsxout.Text(l.ItemName),
			xlsxout.Text(string(l.Vendor)), xlsxout.Text(string(l.Zone)), xlsxout.Text(string(l.Billing)), xlsxout.Number(decimal.NewFromInt(int64(l.Orders))),
			qty, price, xlsxout.Money(money.Round(l.Monthly)), xlsxout.Money(l.Annual), xlsxout.Text(l.Basis)})
	}
	total := make([]xlsxout.Cell, len(declarationHeaders))
	for i := range total {
		total[i] = xlsxout.Text("")
	}
	total[0] = xlsxout.Text(glossary.Total)
	total[15] = xlsxout.Money(of.Total())
	t.Total = total
	return t
}

// DeclarationSummary is the district summary: one row per department with its 主管部门,
// lines and annual total; the total row is the sum.
func DeclarationSummary(d Declaration, org catalog.Org) xlsxout.Table {
	t := xlsxout.Table{Sheet: "汇总", Title: fmt.Sprintf("%d 年云资源运维项目%s汇总（截至 %s）", d.Year, Label("declaration"), d.AsOf),
		Headers: []string{"department_id", "department_name", "parent_id", "lines", "annual"}}
	parts := d.ByDepartment()
	for _, dep := range d.Departments() {
		of := parts[dep]
		t.Rows = append(t.Rows, []xlsxout.Cell{xlsxout.Text(string(dep)), xlsxout.Text(org.Departments[dep].Name), xlsxout.Text(string(org.ParentOf(dep))),
			xlsxout.Number(decimal.NewFromInt(int64(len(of.Lines)))), xlsxout.Money(of.Total())})
	}
	t.Total = []xlsxout.Cell{xlsxout.Text(glossary.Total), xlsxout.Text(""), xlsxout.Text(""), xlsxout.Number(decimal.NewFromInt(int64(len(d.Lines)))), xlsxout.Money(d.Total())}
	return t
}

// TableDoc prints a table (a 测算表 or the summary) as a document.
func TableDoc(t xlsxout.Table, header string, created time.Time, widths []float64) sheet.Doc {
	d := sheet.Doc{Title: t.Title, Header: header, Created: created.UTC()}
	st := sheet.Table{}
	for i, h := range t.Headers {
		w := 2.0
		if i < len(widths) {
			w = widths[i]
		}
		st.Columns = append(st.Columns, sheet.Column{Title: glossary.Column(h), Width: w})
	}
	cell := func(c xlsxout.Cell) string {
		switch {
		case c.Num == nil:
			return c.Text
		case c.Money:
			return money.Grouped(*c.Num)
		}
		return c.Num.String()
	}
	for _, r := range t.Rows {
		row := sheet.Row{}
		for _, c := range r {
			row.Cells = append(row.Cells, cell(c))
		}
		st.Rows = append(st.Rows, row)
	}
	if t.Total != nil {
		row := sheet.Row{Style: sheet.Total}
		for _, c := range t.Total {
			row.Cells = append(row.Cells, cell(c))
		}
		st.Rows = append(st.Rows, row)
	}
	d.Add(sheet.Para{Text: "依据《管理办法》第十九条：各部门每年将已有云资源按年度作为运维项目申报。本表按截至测算日在用的资源、测算日的配置和价格测算全年费用（按月单价 × 数量 × 12；计量项目按最近已结账月份的月平均 × 12）；新建项目验收后转为运维。"}, st)
	return d
}

// DeclarationDoc is department dep's 测算表 as a printed document (the CLI's and the
// portal's PDF).
func DeclarationDoc(d Declaration, org catalog.Org, dep catalog.DepartmentID, created time.Time) sheet.Doc {
	return TableDoc(DeclarationTable(d, org, dep), fmt.Sprintf("%d 年%s · %s", d.Year, Label("declaration"), dep), created,
		[]float64{2, 1.6, 2, 3, 1.5, 1.5, 2, 3, 1.5, 1.5, 1.5, 1, 1.5, 2, 2.6, 3.2, 4.4})
}

// DeclarationSummaryDoc is the district summary of a declaration as a printed document.
func DeclarationSummaryDoc(d Declaration, org catalog.Org, created time.Time) sheet.Doc {
	return TableDoc(DeclarationSummary(d, org), fmt.Sprintf("%d 年%s · summary", d.Year, Label("declaration")), created, []float64{2, 4, 2, 1, 2})
}
