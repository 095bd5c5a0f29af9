package portal_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/internal/money"
)

// One headless Chromium (Debian's /usr/bin/chromium) for the package; each test opens an
// isolated browser context (its own cookies) in it.
var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc
	allocCancel   context.CancelFunc
	browserErr    error
)

func chromiumPath() string {
	if p := os.Getenv("CLOUDBILL_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

func startBrowser(t *testing.T) context.Context {
	t.Helper()
	browserOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromiumPath()),
			chromedp.WindowSize(1366, 768),
			chromedp.Flag("headless", true),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("lang", "zh-CN"),
		)
		var actx context.Context
		actx, allocCancel = chromedp.NewExecAllocator(context.Background(), opts...)
		browserCtx, browserCancel = chromedp.NewContext(actx)
		browserErr = chromedp.Run(browserCtx) // starts the browser
	})
	if browserErr != nil {
		t.Fatalf("start chromium %s: %v", chromiumPath(), browserErr)
	}
	return browserCtx
}

func stopBrowser() {
	if browserCancel != nil {
		browserCancel()
	}
	if allocCancel != nil {
		allocCancel()
	}
}

// tabTimeout bounds one tab's whole test: generous, since the machine running the suite
// may be loaded many times over (a browser test once took over 90 s at load 50); the
// steps inside wait for conditions, not for time.
const tabTimeout = 6 * time.Minute

// tab opens a tab with no cookies for one user (the tests run one after the other).
func tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(startBrowser(t))
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Run(ctx, network.ClearBrowserCookies(), chromedp.EmulateViewport(1366, 768)))
	ctx, cancel2 := context.WithTimeout(ctx, tabTimeout)
	t.Cleanup(cancel2)
	return ctx
}

// screenshotDir is where the screenshots go: $CLOUDBILL_ARTEFACTS/portal, else
// portal/testdata/screenshots (ignored by git).
func screenshotDir(t *testing.T) string {
	dir := filepath.Join("testdata", "screenshots")
	if a := os.Getenv("CLOUDBILL_ARTEFACTS"); a != "" {
		dir = filepath.Join(a, "portal")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// shot captures the 1366×768 viewport to NAME.png and checks it is not blank: many
// colours, and a good share of non-white pixels.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var buf []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.CaptureScreenshot(&buf)), name)
	img, err := png.Decode(bytes.NewReader(buf))
	require.NoError(t, err, name)
	b := img.Bounds()
	assert.Equal(t, image.Rect(0, 0, 1366, 768), b, "%s: a 1366×768 screenshot", name)
	colours := map[uint32]bool{}
	nonWhite := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				nonWhite++
			}
		}
	}
	total := (b.Dx() / 2) * (b.Dy() / 2)
	assert.Greater(t, len(colours), 20, "%s: the screenshot has content", name)
	assert.Greater(t, nonWhite*100/total, 3, "%s: the screenshot is not blank", name)
	path := filepath.Join(screenshotDir(t), name+".png")
	require.NoError(t, os.WriteFile(path, buf, 0o644))
	t.Logf("screenshot %s (%d colours, %d%% non-white)", path, len(colours), nonWhite*100/total)
}

// browserSignIn signs in through the form.
func browserSignIn(t *testing.T, ctx context.Context, f *fixture, login string) {
	t.Helper()
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(f.srv.URL+"/login"),
		chromedp.WaitVisible("#login"),
	))
	shot(t, ctx, "01-login")
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys("#login", login),
		chromedp.SendKeys("#password", password),
		chromedp.Click("#submit"),
	))
	waitFor(t, ctx, "#who")
	var who string
	require.NoError(t, chromedp.Run(ctx, chromedp.Text("#who", &who)))
	require.Equal(t, login, who)
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	require.NoError(t, chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery)), sel)
	return strings.TrimSpace(s)
}

// TestBrowserDepartment: a department signs in, sees its overview, drills down from the
// department to a day, and downloads its statement PDF, which is the issued file.
func TestBrowserDepartment(t *testing.T) {
	f := setup(t)
	ctx := tab(t)
	browserSignIn(t, ctx, f, f.dep)
	want := money.Grouped(f.statementTotals("departments")[string(f.depID)])
	assert.Equal(t, want, text(t, ctx, "#latest-total"), "overview total = statement total")
	shot(t, ctx, "02-department-overview")

	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#drill-link")))
	waitFor(t, ctx, "#level-projects")
	assert.Equal(t, want, text(t, ctx, "#dept-total"))
	shot(t, ctx, "03-drill-department")
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#level-projects a.drill")))
	waitFor(t, ctx, "#level-orders")
	shot(t, ctx, "04-drill-project")
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#level-orders a.drill")))
	waitFor(t, ctx, "#level-items")
	shot(t, ctx, "05-drill-order")
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#level-items a.drill")))
	waitFor(t, ctx, "#level-days")
	shot(t, ctx, "06-drill-day")
	// the day rows are money to the fen and add up to the line's amount exactly
	var days []string
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("#level-days tr:not(.total) td:nth-child(2)")).map(e => e.textContent)`, &days)))
	require.NotEmpty(t, days)
	sum := decimal.Zero
	for _, d := range days {
		amt := decimal.RequireFromString(strings.ReplaceAll(d, ",", ""))
		assert.Equal(t, money.Grouped(amt), d, "a day's amount is shown to the fen")
		sum = sum.Add(amt)
	}
	assert.Equal(t, money.Grouped(sum), text(t, ctx, "#level-total"), "days add up to the line")

	// download the statement PDF through the browser
	dl := t.TempDir()
	done := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	require.NoError(t, chromedp.Run(ctx,
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dl).WithEventsEnabled(true),
		chromedp.Navigate(f.srv.URL+"/departments/"+string(f.depID)+"/"+period.String()),
		chromedp.WaitVisible("#statement-pdf"),
		chromedp.Click("#statement-pdf"),
	))
	select {
	case guid := <-done:
		got, err := os.ReadFile(filepath.Join(dl, guid))
		require.NoError(t, err)
		issued := readFile(t, f.out, period.String(), "departments", string(f.depID)+".pdf")
		assert.True(t, bytes.Equal(issued, got), "downloaded PDF is the issued file (%d vs %d bytes)", len(got), len(issued))
		assert.True(t, bytes.HasPrefix(got, []byte("%PDF")))
	case <-ctx.Done():
		t.Fatal("the PDF download did not complete before the tab's deadline")
	}
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+"/statements/"+period.String()), chromedp.WaitVisible("#files")))
	shot(t, ctx, "07-department-statements")
}

// TestBrowserVendor: a vendor reads its settlement, uploads its invoice (one line claimed
// 10.00 too high) and reads the reconciliation report.
func TestBrowserVendor(t *testing.T) {
	f := setup(t)
	ctx := tab(t)
	browserSignIn(t, ctx, f, f.ven)
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+"/vendors/"+string(f.venID)+"/"+period.String()), chromedp.WaitVisible("#settlement")))
	net := f.statementTotals("vendors")[string(f.venID)]
	assert.Equal(t, money.Grouped(net), text(t, ctx, "#vendor-net"), "settlement net = vendor statement total")
	shot(t, ctx, "08-vendor-settlement")

	// the invoice: the vendor's charge and metered lines by order and item, one +10.00
	type key struct{ order, item string }
	sums := map[key]decimal.Decimal{}
	names := map[string]string{} // item code → name, as the statement prints it
	var keys []key
	for _, r := range f.statementCSV("vendors", string(f.venID)) {
		if r["kind"] != "charge" && r["kind"] != "metered" {
			continue
		}
		k := key{r["order_id"], r["item_code"]}
		names[r["item_code"]] = r["item_name"]
		if _, ok := sums[k]; !ok {
			keys = append(keys, k)
		}
		sums[k] = sums[k].Add(decimal.RequireFromString(r["amount"]))
	}
	require.NotEmpty(t, keys)
	var inv strings.Builder
	inv.WriteString("vendor_id,period,order_id,item_code,amount\n")
	for i, k := range keys {
		a := sums[k]
		if i == 0 {
			a = a.Add(decimal.RequireFromString("10.00"))
		}
		fmt.Fprintf(&inv, "%s,%s,%s,%s,%s\n", f.venID, period, k.order, k.item, money.Plain(a))
	}
	file := filepath.Join(t.TempDir(), "invoice-"+string(f.venID)+".csv")
	require.NoError(t, os.WriteFile(file, []byte(inv.String()), 0o644))
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetUploadFiles("#invoice", []string{file}, chromedp.ByQuery),
		chromedp.Click("#upload"),
	))
	waitFor(t, ctx, "#recon-summary")
	assert.Equal(t, "10.00", text(t, ctx, "#difference"), "the one line claimed 10.00 too high")
	item := text(t, ctx, "#differences tr:nth-child(2) td:nth-child(2)")
	assert.Equal(t, names[keys[0].item]+"\n"+keys[0].item, item, "the difference's item by its catalog name, its code beneath")
	shot(t, ctx, "09-reconciliation-report")

	// the upload is audited by app.UploadInvoice: the file, its lines and hash, the upload
	// that keeps it and its one difference
	ups, err := f.store.InvoiceUploads(context.Background(), f.venID)
	require.NoError(t, err)
	require.NotEmpty(t, ups)
	up := ups[0]
	for _, u := range ups {
		if u.UploadedAt.After(up.UploadedAt) {
			up = u
		}
	}
	evs, err := f.access.Audit(context.Background(), access.AuditFilter{Actor: f.ven, Action: "upload"})
	require.NoError(t, err)
	var details []string
	for _, e := range evs {
		details = append(details, e.Outcome+" "+e.Target+" "+e.Detail)
	}
	assert.Contains(t, details, "ok "+string(f.venID)+" "+period.String()+" "+access.Details(access.DetailInvoice, "file", filepath.Base(file),
		"lines", fmt.Sprint(len(keys)), "sha256", fmt.Sprintf("%x", sha256.Sum256([]byte(inv.String()))), "upload", up.ID, "differences", "1"))
}

// TestBrowserZFinanceCloses (runs last: it closes the month): the finance bureau opens
// the months page, confirms and closes the month; the close is recorded with its hash,
// the final statements are issued and archived, and the audit log shows it.
func TestBrowserZFinanceCloses(t *testing.T) {
	f := setup(t)
	ctx := tab(t)
	browserSignIn(t, ctx, f, f.fin)
	shot(t, ctx, "10-finance-overview")
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+"/months"), chromedp.WaitVisible("#months")))
	shot(t, ctx, "11-months")
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#close-"+period.String(), chromedp.ByID)))
	waitFor(t, ctx, "#close-form")
	// without the confirmation box: refused, nothing closed
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#do-close", chromedp.ByID)))
	waitFor(t, ctx, "#error")
	_, closed, err := f.store.CloseOf(context.Background(), period)
	require.NoError(t, err)
	require.False(t, closed)
	var pending bool
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector("#allow-pending") !== null`, &pending)))
	if pending {
		require.NoError(t, chromedp.Run(ctx, chromedp.Click("#allow-pending", chromedp.ByID)))
	}
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#confirm", chromedp.ByID)))
	shot(t, ctx, "12-close-confirm")
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#do-close", chromedp.ByID)))
	waitFor(t, ctx, "#closed")
	shot(t, ctx, "13-closed")
	c, closed, err := f.store.CloseOf(context.Background(), period)
	require.NoError(t, err)
	require.True(t, closed)
	assert.Equal(t, c.ContentHash, text(t, ctx, "#content-hash"))
	assert.Equal(t, money.Grouped(c.Total), text(t, ctx, "#close-total"))
	assert.Equal(t, 1, f.issues, "final statements issued after the close")
	is, ok, err := f.store.CurrentIssue(context.Background(), period)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, is.Final, "the archive holds the final issue")

	// bureau pages: operations and the audit log show the close
	bctx := tab(t)
	browserSignIn(t, bctx, f, f.bur)
	require.NoError(t, chromedp.Run(bctx, chromedp.Navigate(f.srv.URL+"/operations"), chromedp.WaitVisible("#imports")))
	shot(t, bctx, "14-operations")
	// the close in the audit log, in Chinese: filtered to closes, newest first (other
	// tests' events may push it off the unfiltered log's first page)
	require.NoError(t, chromedp.Run(bctx, chromedp.Navigate(f.srv.URL+"/audit?action=close"), chromedp.WaitVisible("#audit")))
	var first []string
	require.NoError(t, chromedp.Run(bctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("#audit tr:nth-child(2) td")).map(e => e.textContent.trim())`, &first)))
	require.GreaterOrEqual(t, len(first), 6, "a close in the audit log")
	assert.Equal(t, []string{f.fin, "结账", period.String(), "成功"}, []string{first[1], first[3], first[4], first[5]}, "the close: who, action, month, outcome")
	shot(t, bctx, "15-audit")
	require.NoError(t, chromedp.Run(bctx, chromedp.Navigate(f.srv.URL+"/accounts"), chromedp.WaitVisible("#users")))
	shot(t, bctx, "16-accounts")
	require.NoError(t, chromedp.Run(bctx, chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible("#departments")))
	shot(t, bctx, "17-bureau-overview")
}

// waitFor polls until an element matching sel is in the page (after a click that
// navigates; a query during the navigation is retried, not waited on), as long as the
// tab's deadline allows: a loaded machine is slow, not wrong.
func waitFor(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	for ctx.Err() == nil {
		var found bool
		qctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := chromedp.Run(qctx, chromedp.Evaluate(fmt.Sprintf(`document.readyState === "complete" && document.querySelector(%q) !== null`, sel), &found))
		cancel()
		if err == nil && found {
			return
		}
		time.Sleep(150 * time.Millisecond)
	}
	var loc string
	_ = chromedp.Run(ctx, chromedp.Location(&loc))
	t.Fatalf("%s did not appear (page %s)", sel, loc)
}
