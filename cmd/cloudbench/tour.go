package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// benchTour walks the portal on the demo's data (`make demo`) as each of its four kinds
// of user and leaves what a reader needs to judge every page without starting it: a
// full-page PNG of each page at 1366×768 and 390×844 (and print media where a page is
// meant to be printed), its text, and facts.json (per shot: URL, title, heading, whether
// the page scrolls sideways, the Latin words on it, the money figures it shows, and each
// figure checked against the demo's issued statements to the fen). It is not a speed
// benchmark: `go run ./cmd/cloudbench tour`, on request only (docs/portal.md, "The
// screenshot tour"). It starts `cloudbill serve` on the demo's data itself and signs in
// with the demo's accounts; uploading the vendor's invoice records a reconciliation in
// the demo database, as a vendor would.
//
// Environment: CLOUDBENCH_TOUR_BIN (default bin/cloudbill), CLOUDBENCH_TOUR_DATA (the
// demo's data directory, default var/demo), CLOUDBENCH_TOUR_DEMO_OUT (the demo's --out,
// default out), CLOUDBENCH_TOUR_OUT (default out/tour), CLOUDBILL_CHROMIUM (default
// /usr/bin/chromium).
func benchTour(ctx context.Context) ([]figure, error) {
	bin := envStr("CLOUDBENCH_TOUR_BIN", "bin/cloudbill")
	data := envStr("CLOUDBENCH_TOUR_DATA", "var/demo")
	demoOut := envStr("CLOUDBENCH_TOUR_DEMO_OUT", "out")
	dir := envStr("CLOUDBENCH_TOUR_OUT", "out/tour")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	iss, err := readIssued(demoOut)
	if err != nil {
		return nil, err
	}
	base, stop, err := tourServe(ctx, bin, data, filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	defer stop()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(envStr("CLOUDBILL_CHROMIUM", "/usr/bin/chromium")),
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
	)
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	w := tourWalk{base: base, dir: dir, iss: iss, vars: map[string]string{
		"{closed}": iss.closed.String(), "{open}": iss.closed.Next().String(),
		"{unrated}": iss.closed.Next().Next().String(), "{out}": demoOut}}
	var problems []string
	for _, r := range tourRoles() {
		bctx, bcancel := chromedp.NewContext(actx)
		problems = append(problems, w.role(bctx, r)...)
		bcancel()
	}
	if err := writeJSON(filepath.Join(dir, "facts.json"), w.facts); err != nil {
		return nil, err
	}
	overflow, checks, wrong := 0, 0, 0
	for _, f := range w.facts {
		if f.Overflow && f.Width == 390 && f.Media == "" {
			overflow++
			problems = append(problems, fmt.Sprintf("%s %s: the page scrolls sideways at 390 px (%d px wide)", f.Role, f.Page, f.ScrollWidth))
		}
		for _, c := range f.Checks {
			checks++
			if !c.Equal {
				wrong++
				problems = append(problems, fmt.Sprintf("%s %s %d: %s shows %s, the statements %s", f.Role, f.Page, f.Width, c.Selector, c.Shown, c.Statements))
			}
		}
	}
	fmt.Printf("tour: %d shots in %s, facts in %s\n", len(w.facts), dir, filepath.Join(dir, "facts.json"))
	cmd := "go run ./cmd/cloudbench tour"
	figs := []figure{
		{Name: "tour: pages shot (both widths, print)", Value: float64(len(w.facts)), Unit: "shots", Command: cmd, Load: loadNow()},
		{Name: "tour: pages scrolling sideways at 390 px", Value: float64(overflow), Unit: "pages", Command: cmd, Load: loadNow()},
		{Name: "tour: figures checked against the issued statements", Value: float64(checks), Unit: "figures", Command: cmd, Load: loadNow()},
		{Name: "tour: figures differing from the statements", Value: float64(wrong), Unit: "figures", Command: cmd, Load: loadNow()},
	}
	if len(problems) > 0 {
		return figs, fmt.Errorf("tour: %d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return figs, nil
}

// tourStep is one page of a role's walk. Path is a portal path ({dep}, {ven}, {other-dep},
// {other-ven}, {metered}: an order with a metered line, {closed}, {open}, {unrated} filled
// in); Follow, a CSS selector of a link,
// opens that link of the page at Path (or of the previous step's page without Path).
type tourStep struct {
	Name   string
	Path   string
	Follow string
	Print  bool   // print media as well as the two widths on screen
	Upload string // a file ({out}: the demo's --out) to upload with the page's file input
	Checks []tourCheck
}

// tourCheck compares the money figure of Selector with the issued statements: What is
// "department" (the sum of the department's statement, units included), "district" (the
// finance summary), "vendor" (the vendor's settlement), "drill" (the department
// statement's lines of the unit, project, order and vendor in the page's URL) or "line"
// (a line of that order with the figure as its amount; its days, if shown, add up to it).
type tourCheck struct{ Selector, What string }

type tourRole struct {
	Role, Login, Password string
	Steps                 []tourStep
}

// the drill-down of the signed-in department's closed month, checked level by level
var tourDrill = []tourStep{
	{Name: "drill-department", Path: "/departments/{dep}/{closed}", Checks: []tourCheck{{"#dept-total", "department"}}},
	{Name: "drill-project", Follow: `#level-projects a.drill:not([href*="project=-"])`, Checks: []tourCheck{{"#level-total", "drill"}}},
	{Name: "drill-order", Follow: `#level-orders a.drill`, Checks: []tourCheck{{"#level-total", "drill"}}},
	{Name: "drill-line", Follow: `#level-items a.drill`, Checks: []tourCheck{{"#line-amount", "line"}}},
	{Name: "drill-metered-line", Path: "/departments/{dep}/{closed}?{metered}", Follow: `#level-items tr.line-metered a`, Checks: []tourCheck{{"#line-amount", "line"}}},
	{Name: "drill-deduction", Path: "/departments/{dep}/{closed}", Follow: `#level-projects a.drill[href*="project=-"]`, Checks: []tourCheck{{"#level-total", "drill"}}},
	{Name: "drill-deduction-order", Follow: `#level-orders a.drill`, Checks: []tourCheck{{"#level-total", "drill"}}},
	{Name: "drill-deduction-line", Follow: `#level-items a`, Checks: []tourCheck{{"#line-amount", "line"}}},
	{Name: "drill-open-month", Path: "/departments/{dep}/{open}"},
}

// tourRoles is every role's walk, in order: the department and the vendor first (the
// others' walks use the department and vendor they are signed in for).
func tourRoles() []tourRole {
	dept := append(append([]tourStep{{Name: "overview", Path: "/"}}, tourDrill...),
		tourStep{Name: "compare-department", Path: "/departments/{dep}/{closed}/compare", Checks: []tourCheck{{`[id^="compare-"][id$="-total"]`, "department"}}},
		tourStep{Name: "compare-department-open", Path: "/departments/{dep}/{open}/compare?sort=mom&dir=desc"},
		tourStep{Name: "statements", Path: "/statements/{closed}"},
		tourStep{Name: "orders", Path: "/orders"},
		tourStep{Name: "search", Path: "/search?q=WO"},
		tourStep{Name: "idle", Path: "/idle"},
		tourStep{Name: "idle-case", Follow: `a[href^="/idle/"]`},
		tourStep{Name: "budgets", Path: "/budgets"},
		tourStep{Name: "months", Path: "/months"},
		tourStep{Name: "error-forbidden", Path: "/district/{closed}/compare"},
		tourStep{Name: "error-other-department", Path: "/departments/{other-dep}/{closed}"},
		tourStep{Name: "drill", Path: "/departments/{dep}/{closed}", Print: true},
	)
	vendor := []tourStep{
		{Name: "overview", Path: "/"},
		{Name: "settlement", Path: "/vendors/{ven}/{closed}", Print: true, Checks: []tourCheck{{"#vendor-net", "vendor"}}},
		{Name: "reconciliation-report", Path: "/vendors/{ven}/{closed}", Upload: "{out}/reconcile/invoices/{ven}-{closed}.csv"},
		{Name: "invoice-refused", Path: "/vendors/{ven}/{closed}", Upload: "{out}/reconcile/invoices/injected-{ven}-{closed}.csv"},
		{Name: "settlement-open", Path: "/vendors/{ven}/{open}"},
		{Name: "statements", Path: "/statements/{closed}"},
		{Name: "orders", Path: "/orders"},
		{Name: "payments", Path: "/vendors/{ven}/payments", Checks: []tourCheck{{"#outstanding-{ven}", "vendor"}}},
		{Name: "collection", Path: "/vendors/{ven}/collection/{open}"},
		{Name: "months", Path: "/months"},
		{Name: "error-forbidden", Path: "/vendors/{other-ven}/{closed}"},
	}
	finance := append(append([]tourStep{{Name: "overview", Path: "/"}}, tourDrill...),
		tourStep{Name: "statements", Path: "/statements/{closed}"},
		tourStep{Name: "statements-open", Path: "/statements/{open}"},
		tourStep{Name: "compare-district", Path: "/district/{closed}/compare", Checks: []tourCheck{{`[id^="compare-"][id$="-total"]`, "district"}}},
		tourStep{Name: "compare-district-open", Path: "/district/{open}/compare?sort=mom&dir=desc"},
		tourStep{Name: "orders", Path: "/orders"},
		tourStep{Name: "search", Path: "/search?q=WO"},
		tourStep{Name: "idle", Path: "/idle"},
		tourStep{Name: "idle-case", Follow: `a[href^="/idle/"]`},
		tourStep{Name: "budgets", Path: "/budgets"},
		tourStep{Name: "payments", Path: "/payments", Checks: []tourCheck{{"#outstanding-{ven}", "vendor"}, {"#outstanding-total", "district"}}},
		tourStep{Name: "vendor-payments", Path: "/vendors/{ven}/payments", Checks: []tourCheck{{"#outstanding-{ven}", "vendor"}}},
		tourStep{Name: "months", Path: "/months"},
		tourStep{Name: "close-open", Path: "/months/{open}/close"},
		tourStep{Name: "close-closed", Path: "/months/{closed}/close"},
		tourStep{Name: "operations", Path: "/operations"},
		tourStep{Name: "collection", Path: "/collection/{open}"},
		tourStep{Name: "audit", Path: "/audit"},
		tourStep{Name: "settlement", Path: "/vendors/{ven}/{closed}", Print: true, Checks: []tourCheck{{"#vendor-net", "vendor"}}},
		tourStep{Name: "error-not-rated", Path: "/departments/{dep}/{unrated}"},
		tourStep{Name: "error-not-found", Path: "/nothing-here"},
	)
	bureau := []tourStep{
		{Name: "overview", Path: "/"},
		{Name: "accounts", Path: "/accounts"},
		{Name: "account-disable", Path: "/accounts/dept/disable"},
		{Name: "account-reset", Path: "/accounts/dept/reset-password"},
		{Name: "audit", Path: "/audit"},
		{Name: "audit-close", Path: "/audit?action=close"},
		{Name: "operations", Path: "/operations"},
		{Name: "compare-district", Path: "/district/{closed}/compare", Checks: []tourCheck{{`[id^="compare-"][id$="-total"]`, "district"}}},
		{Name: "months", Path: "/months"},
		{Name: "close-open", Path: "/months/{open}/close"},
	}
	return []tourRole{
		{"dept", "dept", "demo-dept-2026", dept},
		{"vendor", "vendor", "demo-vendor-2026", vendor},
		{"finance", "finance", "demo-finance-2026", finance},
		{"bureau", "bureau", "demo-bureau-2026", bureau},
	}
}

// tourFact is one shot.
type tourFact struct {
	Role, Page  string
	Width       int
	Media       string `json:",omitempty"` // "print" when print media was emulated
	URL, Title  string
	Heading     string
	Overflow    bool // the page is wider than the window (scrolls sideways)
	ScrollWidth int
	Latin       []string          `json:",omitempty"` // Latin words of four letters or more
	Figures     map[string]string `json:",omitempty"` // money shown: element id or total row → text
	Checks      []tourCheckResult `json:",omitempty"`
	File        string
}

type tourCheckResult struct {
	Selector, What, Shown, Statements string
	Equal                             bool
}

type tourWalk struct {
	base, dir string
	iss       issued
	vars      map[string]string
	facts     []tourFact
}

var tourWidths = []struct{ w, h int64 }{{1366, 768}, {390, 844}}

// role signs in and walks r's steps, then the pages of its menu not walked yet; it
// returns what went wrong on the way (a missing link, a page that did not load).
func (w *tourWalk) role(ctx context.Context, r tourRole) []string {
	var problems []string
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	err := chromedp.Run(ctx, network.ClearBrowserCookies(), chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(w.base+"/login"), chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.SendKeys("#login", r.Login, chromedp.ByID), chromedp.SendKeys("#password", r.Password, chromedp.ByID),
		chromedp.Click("#submit", chromedp.ByID), chromedp.WaitVisible("#who", chromedp.ByID))
	if err != nil {
		return []string{fmt.Sprintf("%s: sign in: %v", r.Role, err)}
	}
	// the department or vendor the account is for, from its overview's link
	var links []string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("#drill-link, #vendor-link, nav a")).map(a => a.getAttribute("href"))`, &links)); err != nil {
		return []string{fmt.Sprintf("%s: overview: %v", r.Role, err)}
	}
	for _, l := range links {
		if p := strings.Split(l, "/"); len(p) >= 3 && p[1] == "departments" && r.Role == "dept" {
			w.vars["{dep}"] = p[2]
			w.vars["{other-dep}"] = w.iss.otherDepartment(p[2])
			w.vars["{metered}"] = w.iss.meteredOrder(p[2])
		} else if len(p) >= 3 && p[1] == "vendors" && r.Role == "vendor" {
			w.vars["{ven}"] = p[2]
			w.vars["{other-ven}"] = w.iss.otherVendor(p[2])
		}
	}
	walked := map[string]bool{}
	steps := r.Steps
	for _, l := range links { // the menu's pages the steps do not name
		if strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "/departments/") && !strings.HasPrefix(l, "/vendors/") {
			steps = append(steps, tourStep{Name: "menu" + strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(strings.TrimSuffix(l, "/")), Path: l})
		}
	}
	prev := ""
	for _, s := range steps {
		path := w.fill(s.Path)
		if strings.HasPrefix(s.Name, "menu") && walked[path] {
			continue
		}
		if strings.Contains(path, "{") {
			problems = append(problems, fmt.Sprintf("%s %s: %s: no department or vendor found to fill in", r.Role, s.Name, path))
			continue
		}
		target := ""
		if path != "" {
			target = w.base + path
		}
		if s.Follow != "" {
			from := target
			if from == "" {
				from = prev
			}
			var href string
			err := chromedp.Run(ctx, chromedp.Navigate(from),
				chromedp.Evaluate(fmt.Sprintf(`(function(){var a=document.querySelector(%q);return a?a.href:""})()`, s.Follow), &href))
			if err != nil || href == "" {
				problems = append(problems, fmt.Sprintf("%s %s: no link %s on %s (%v)", r.Role, s.Name, s.Follow, from, err))
				continue
			}
			target = href
		}
		walked[strings.TrimPrefix(target, w.base)] = true
		next, err := w.shoot(ctx, r.Role, s, target)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: %v", r.Role, s.Name, err))
			continue
		}
		var empty bool // a menu link leads to a month with something to show
		if err := chromedp.Run(ctx, chromedp.Evaluate(`!!document.querySelector("#no-issue, #not-rated")`, &empty)); err == nil && empty && strings.HasPrefix(s.Name, "menu") {
			problems = append(problems, fmt.Sprintf("%s %s: the menu leads to %s, a month with nothing to show", r.Role, s.Name, path))
		}
		prev = next
	}
	return problems
}

// shoot opens target (uploading s.Upload on it first) at each width, and in print media
// too for a printable page, and records each shot; it returns the page's URL (a report an
// upload led to).
func (w *tourWalk) shoot(ctx context.Context, role string, s tourStep, target string) (string, error) {
	media := []string{""}
	if s.Print {
		media = append(media, "print")
	}
	here := target
	for _, m := range media {
		for i, size := range tourWidths {
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(size.w, size.h), emulation.SetEmulatedMedia().WithMedia(m)); err != nil {
				return "", err
			}
			if s.Upload != "" && (i == 0 || strings.HasSuffix(here, "/invoice")) {
				// a refused upload's page is the answer of a POST: upload again at each width
				var err error
				if here, err = w.upload(ctx, target, w.fill(s.Upload)); err != nil {
					return "", err
				}
			} else if err := chromedp.Run(ctx, chromedp.Navigate(here)); err != nil {
				return "", err
			}
			f, err := w.record(ctx, role, s, int(size.w), m, here)
			if err != nil {
				return "", err
			}
			w.facts = append(w.facts, f)
			fmt.Printf("%-8s %-28s %4d %-5s sideways=%-5v %q %s\n", role, s.Name, size.w, m, f.Overflow, f.Heading, checksLine(f.Checks))
		}
	}
	if err := chromedp.Run(ctx, emulation.SetEmulatedMedia().WithMedia("")); err != nil {
		return "", err
	}
	return here, nil
}

func checksLine(cs []tourCheckResult) string {
	var b strings.Builder
	for _, c := range cs {
		mark := "="
		if !c.Equal {
			mark = "≠"
		}
		fmt.Fprintf(&b, "%s %s %s %s; ", c.Selector, c.Shown, mark, c.Statements)
	}
	return b.String()
}

// upload submits file with the file input of page and waits for the answer's page.
func (w *tourWalk) upload(ctx context.Context, page, file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	err = chromedp.Run(ctx, chromedp.Navigate(page),
		chromedp.SetUploadFiles(`input[type=file]`, []string{abs}, chromedp.ByQuery),
		chromedp.Submit(`input[type=file]`, chromedp.ByQuery))
	if err != nil {
		return "", err
	}
	// the answer's page: asked again while the navigation replaces the page (an
	// evaluation in the page being left fails)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var loc, state string
		err := chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.readyState`, &state))
		if err == nil && loc != page && state == "complete" {
			return loc, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("upload of %s: no answer in 5 minutes (%v)", file, err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// record takes the shot of the page shown: PNG, text and facts.
func (w *tourWalk) record(ctx context.Context, role string, s tourStep, width int, media, here string) (tourFact, error) {
	f := tourFact{Role: role, Page: s.Name, Width: width, Media: media}
	var text string
	var innerW int
	err := chromedp.Run(ctx,
		chromedp.Location(&f.URL),
		chromedp.Title(&f.Title),
		chromedp.Evaluate(`(document.querySelector("h1")||{innerText:""}).innerText`, &f.Heading),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &f.ScrollWidth),
		chromedp.Evaluate(`window.innerWidth`, &innerW),
		chromedp.Evaluate(`document.body.innerText`, &text),
		chromedp.Evaluate(tourFiguresJS, &f.Figures))
	if err != nil {
		return f, err
	}
	f.URL = strings.TrimPrefix(f.URL, w.base)
	f.Overflow = f.ScrollWidth > innerW
	f.Latin = latinWords(text)
	for _, c := range s.Checks {
		f.Checks = append(f.Checks, w.check(ctx, c, f.URL))
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		return f, err
	}
	name := fmt.Sprintf("%s-%s-%d", role, s.Name, width)
	if media != "" {
		name += "-" + media
	}
	f.File = name + ".png"
	if err := os.WriteFile(filepath.Join(w.dir, f.File), png, 0o644); err != nil {
		return f, err
	}
	return f, os.WriteFile(filepath.Join(w.dir, name+".txt"), []byte(f.URL+"\n\n"+text), 0o644)
}

// tourFiguresJS: the money figures a page shows, by element id, and each total row's
// figures by its table and first cell.
const tourFiguresJS = `(() => {
  const m = /^-?[\d,]+\.\d{2}$/, out = {};
  document.querySelectorAll("[id]").forEach(e => { const t = (e.innerText || "").trim(); if (m.test(t)) out["#" + e.id] = t; });
  document.querySelectorAll("tr.total").forEach(tr => {
    const c = Array.from(tr.cells).map(x => x.innerText.trim()), v = c.filter(x => m.test(x));
    const t = tr.closest("table");
    if (v.length) out[((t && t.id) || "table") + " " + c[0]] = v.join(" / ");
  });
  return out;
})()`

// check compares the figure of c.Selector on the page at path with the statements.
func (w *tourWalk) check(ctx context.Context, c tourCheck, path string) tourCheckResult {
	sel := w.fill(c.Selector)
	res := tourCheckResult{Selector: sel, What: c.What}
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`(document.querySelector(%q)||{innerText:""}).innerText.trim()`, sel), &res.Shown)); err != nil {
		res.Shown = err.Error()
		return res
	}
	shown, err := decimal.NewFromString(strings.ReplaceAll(res.Shown, ",", ""))
	if err != nil {
		res.Shown = fmt.Sprintf("%q (no figure)", res.Shown)
		return res
	}
	u, _ := url.Parse(path)
	q := u.Query()
	param := func(k string) string {
		if v := q.Get(k); v != "-" {
			return v
		}
		return ""
	}
	var want decimal.Decimal
	switch c.What {
	case "department":
		want = w.iss.sum("departments", w.vars["{dep}"], nil)
	case "district":
		want = w.iss.sum("summary", "", nil)
	case "vendor":
		want = w.iss.sum("vendors", w.vars["{ven}"], nil)
	case "drill", "line":
		match := func(r map[string]string) bool {
			for k, col := range map[string]string{"unit": "department_id", "project": "project_id", "order": "order_id", "vendor": "vendor_id"} {
				if q.Has(k) && r[col] != param(k) {
					return false
				}
			}
			return true
		}
		if c.What == "drill" {
			want = w.iss.sum("departments", w.vars["{dep}"], match)
			break
		}
		// a line: one of the order's lines has the amount shown, and its days add up to it
		want = decimal.NewFromInt(-1)
		for _, r := range w.iss.rows("departments", w.vars["{dep}"]) {
			if a, err := decimal.NewFromString(r["amount"]); err == nil && match(r) && a.Equal(shown) {
				want = a
			}
		}
		var days []string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("#level-days tr:not(.total) td:nth-child(2)")).map(e => e.innerText.trim())`, &days)); err == nil && len(days) > 0 {
			sum := decimal.Zero
			for _, d := range days {
				a, err := decimal.NewFromString(strings.ReplaceAll(d, ",", ""))
				if err != nil || money.Grouped(a) != d {
					sum = decimal.NewFromInt(-1) // a day not shown to the fen
					break
				}
				sum = sum.Add(a)
			}
			res.Shown += fmt.Sprintf(" (days %s)", money.Grouped(sum))
			if !sum.Equal(shown) {
				want = decimal.NewFromInt(-1)
			}
		}
	}
	res.Statements = money.Grouped(want)
	res.Equal = want.Equal(shown)
	return res
}

func (w *tourWalk) fill(s string) string {
	for k, v := range w.vars {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

// issued is the demo's last issued month: its finance summary, department statements
// and vendor settlements as CSV rows (column → value).
type issued struct {
	closed calendar.Period
	dir    string
	cache  map[string][]map[string]string
}

// readIssued finds the latest month under the demo's out directory with a summary.csv.
func readIssued(out string) (issued, error) {
	ents, err := os.ReadDir(out)
	if err != nil {
		return issued{}, fmt.Errorf("tour: the demo's output (make demo): %w", err)
	}
	var months []string
	for _, e := range ents {
		if _, err := calendar.ParsePeriod(e.Name()); err == nil {
			if _, err := os.Stat(filepath.Join(out, e.Name(), "summary.csv")); err == nil {
				months = append(months, e.Name())
			}
		}
	}
	if len(months) == 0 {
		return issued{}, fmt.Errorf("tour: no issued month (YYYY-MM/summary.csv) under %s: run make demo", out)
	}
	sort.Strings(months)
	p, _ := calendar.ParsePeriod(months[len(months)-1])
	return issued{closed: p, dir: filepath.Join(out, p.String()), cache: map[string][]map[string]string{}}, nil
}

// rows of the summary ("summary", ""), a department's statement ("departments", id) or a
// vendor's settlement ("vendors", id).
func (s issued) rows(kind, id string) []map[string]string {
	path := filepath.Join(s.dir, "summary.csv")
	if kind != "summary" {
		path = filepath.Join(s.dir, kind, id+".csv")
	}
	if rs, ok := s.cache[path]; ok {
		return rs
	}
	var out []map[string]string
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		r := csv.NewReader(f)
		head, err := r.Read()
		for err == nil {
			var rec []string
			if rec, err = r.Read(); err == nil {
				m := make(map[string]string, len(head))
				for i, h := range head {
					m[strings.TrimPrefix(h, "\ufeff")] = rec[i]
				}
				out = append(out, m)
			}
		}
	}
	s.cache[path] = out
	return out
}

// sum adds the amount column of the rows match keeps (all when nil).
func (s issued) sum(kind, id string, match func(map[string]string) bool) decimal.Decimal {
	t := decimal.Zero
	for _, r := range s.rows(kind, id) {
		if a, err := decimal.NewFromString(r["amount"]); err == nil && (match == nil || match(r)) {
			t = t.Add(a)
		}
	}
	return t
}

// otherDepartment is a department of the summary outside dep's statement (not one of its
// units); otherVendor a vendor of the summary other than ven.
func (s issued) otherDepartment(dep string) string {
	mine := map[string]bool{}
	for _, r := range s.rows("departments", dep) {
		mine[r["department_id"]] = true
	}
	for _, r := range s.rows("summary", "") {
		if !mine[r["department_id"]] {
			return r["department_id"]
		}
	}
	return ""
}

// meteredOrder is the drill-down query of the first order of dep's statement with a
// metered line.
func (s issued) meteredOrder(dep string) string {
	for _, r := range s.rows("departments", dep) {
		if r["kind"] == "metered" {
			return url.Values{"unit": {r["department_id"]}, "project": {dashIfEmpty(r["project_id"])},
				"order": {dashIfEmpty(r["order_id"])}, "vendor": {r["vendor_id"]}}.Encode()
		}
	}
	return ""
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (s issued) otherVendor(ven string) string {
	for _, r := range s.rows("summary", "") {
		if r["vendor_id"] != ven {
			return r["vendor_id"]
		}
	}
	return ""
}

// tourServe starts `bin --data-dir data serve` on a free loopback port, its output in
// logPath, and waits until its login page answers.
func tourServe(ctx context.Context, bin, data, logPath string) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(logPath)
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "--data-dir", data, "serve", "--listen", addr, "--close-schedule", "off")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return "", nil, fmt.Errorf("tour: %s serve: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
	}
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Minute) // the embedded ClickHouse starts first
	for {
		resp, err := http.Get(base + "/login")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, stop, nil
			}
		}
		select {
		case err := <-exited:
			logf.Close()
			return "", nil, fmt.Errorf("tour: serve stopped before answering (%v); see %s", err, logPath)
		case <-ctx.Done():
			stop()
			return "", nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, errors.New("tour: serve did not answer in 10 minutes; see " + logPath)
		}
	}
}

// latinWords lists the Latin words of four letters or more in a page's text (codes and ids
// are mostly shorter or mixed with digits): what may be English left on a Chinese page.
func latinWords(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range regexp.MustCompile(`[A-Za-z]{4,}`).FindAllString(text, -1) {
		switch f {
		case "Excel", "JSON", "vCPU", "Redis", "MySQL":
			continue
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
