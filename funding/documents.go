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
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
	"cloudbill/invoicing/sheet"
)

var kindLabels = map[string]string{
	"charge": "资源费用", "metered": "计量费用", "unfunded": "未立项费用", "adjustment": "调整", "deduction": "考核扣减",
}

// EstimateDoc is the printed estimated settlement of vendor v (marked 预估 on every page).
func EstimateDoc(e Estimate, org catalog.Org, v catalog.VendorID, issued time.Time) sheet.Doc {
	name := org.Vendors[v].Name
	d := sheet.Doc{
		Title:   fmt.Sprintf("%s %s 预估结算单", e.Period, name),
		Header:  fmt.Sprintf("%s 预估结算单 · %s", e.Period, v),
		Mark:    Label("estimate") + " / ESTIMATE",
		Created: issued.UTC(),
	}
	gross, ded, adj := decimal.Zero, decimal.Zero, decimal.Zero
	rate := e.Rates[v]
	t := sheet.Table{Columns: []sheet.Column{{Title: "部门", Width: 3}, {Title: "项目", Width: 2}, {Title: "工单", Width: 2}, {Title: "配置项", Width: 2},
		{Title: "类别", Width: 2}, {Title: "截至分析日", Width: 2, Align: sheet.Right}, {Title: "至月末", Width: 2, Align: sheet.Right},
		{Title: "金额（元）", Width: 2, Align: sheet.Right}}}
	for _, l := range e.Lines {
		if l.Vendor != v {
			continue
		}
		switch {
		case l.Kind.CountsInGross():
			gross = gross.Add(l.Amount)
		case l.Kind == "deduction":
			ded = ded.Add(l.Amount)
		default:
			adj = adj.Add(l.Amount)
		}
		dep := org.Departments[l.Department].Name
		if dep == "" {
			dep = string(l.Department)
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{dep, string(l.Project), string(l.Order), string(l.Item), kindLabels[string(l.Kind)],
			money.Grouped(money.Round(l.ToDate)), money.Grouped(money.Round(l.Rest)), money.Grouped(l.Amount)}})
	}
	net := gross.Add(ded).Add(adj)
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", "", "", "", "", "", "", money.Grouped(net)}, Style: sheet.Total})
	rateText := "无（无已关账月份的考核结果）"
	if rate.From.Year != 0 {
		rateText = fmt.Sprintf("%s%%（依据 %s 考核结果）", rate.Rate.Shift(2).StringFixed(2), rate.From)
	}
	d.Add(
		sheet.Para{Text: fmt.Sprintf("本结算单为 %s 的预估结算（截至 %s），供年内支付（《管理办法》第二十一条）。%s 关账后，正式结算与预估的差额作为“%s”计入次年 1 月结算。", e.Period, e.AsOf, e.Period, Label("true_up"))},
		sheet.Fields{Pairs: []sheet.Field{
			{Label: "服务商", Value: name + "（" + string(v) + "）"}, {Label: "分析日", Value: e.AsOf.String()},
			{Label: "应付毛额", Value: money.Grouped(gross)}, {Label: "考核扣减", Value: money.Grouped(ded)},
			{Label: "调整", Value: money.Grouped(adj)}, {Label: "扣减比例", Value: rateText},
			{Label: "预估应付净额", Value: money.Grouped(net)}, {Label: "内容哈希", Value: e.Hash},
		}},
		t,
	)
	return d
}

// LedgerHeader is the CSV header of payments show (docs/formats.md).
var LedgerHeader = []string{"vendor_id", "name", "year", "payable", "paid", "outstanding", "estimate", "true_up", "vouchers", "cross_year_vouchers"}

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
	if err := cw.Write(LedgerHeader); err != nil {
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
		return "已关账结算"
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
	total := struct{ p, pd, o decimal.Decimal }{decimal.Zero, decimal.Zero, decimal.Zero}
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
		total.p, total.pd, total.o = total.p.Add(vy.Payable), total.pd.Add(vy.Paid), total.o.Add(vy.Outstanding)
	}
	fmt.Fprintf(tw, "total %d\tpayable %s\tpaid %s\toutstanding %s\n", year, money.Grouped(total.p), money.Grouped(total.pd), money.Grouped(total.o))
	return tw.Flush()
}
