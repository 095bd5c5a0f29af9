package portal

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/internal/money"
)

// trendSVG draws the 12-month trend as an SVG bar chart on the server (no script, no
// library): final months in solid blue, provisional ones hatched and marked 临时.
func trendSVG(points []TrendPoint) template.HTML {
	const (
		w, h         = 1000, 260
		left, right  = 90, 10
		top, bottom  = 20, 50
		plotW, plotH = w - left - right, h - top - bottom
	)
	max := decimal.Zero
	for _, p := range points {
		if p.Amount.GreaterThan(max) {
			max = p.Amount
		}
	}
	if max.IsZero() {
		max = decimal.NewFromInt(1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="近12个月费用趋势" xmlns="http://www.w3.org/2000/svg">`, w, h)
	b.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#cfe0f5"/><line x1="0" y1="0" x2="0" y2="6" stroke="#3b78c4" stroke-width="2"/></pattern></defs>`)
	for i := 0; i <= 4; i++ {
		y := top + plotH - plotH*i/4
		v := max.Mul(decimal.NewFromInt(int64(i))).Div(decimal.NewFromInt(4))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#e3e7ed"/>`, left, y, w-right, y)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#666">%s</text>`, left-6, y+4, template.HTMLEscapeString(money.Grouped(v.Round(0))))
	}
	n := len(points)
	if n == 0 {
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	slot := plotW / n
	for i, p := range points {
		x := left + i*slot + slot/6
		bw := slot * 2 / 3
		hgt := 0
		if p.State != "" {
			hgt = int(p.Amount.Div(max).Mul(decimal.NewFromInt(plotH)).IntPart())
		}
		y := top + plotH - hgt
		fill := "#2f6db5"
		if p.State != "" && !p.State.Closed() {
			fill = "url(#hatch)"
		}
		label := p.Period.String()
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s</title></rect>`, x, y, bw, hgt, fill, label, template.HTMLEscapeString(money.Grouped(p.Amount)))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#333">%s</text>`, x+bw/2, h-bottom+16, label)
		switch {
		case p.State != "" && !p.State.Closed():
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#b35c00">临时</text>`, x+bw/2, h-bottom+32)
		case p.State == "":
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="11" fill="#999">未计费</text>`, x+bw/2, h-bottom+32)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
