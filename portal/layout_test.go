package portal_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rolePages are the pages each role reaches: its menu's and the drill-down pages under it.
func rolePages(f *fixture, login string) []string {
	p := period.String()
	switch login {
	case f.dep:
		return []string{"/departments/" + string(f.depID) + "/" + p}
	case f.ven:
		return []string{"/vendors/" + string(f.venID) + "/" + p}
	}
	return []string{"/departments/" + string(f.depID) + "/" + p, "/vendors/" + string(f.venID) + "/" + p}
}

// TestBrowserLayouts signs in as each role and opens every page of its menu (and its
// drill-down pages) at 1366×768 and 390×844, each checked with axe-core (axe_test.go): at phone width the page never scrolls
// sideways (tables scroll inside it), the menu folds behind one button that opens it,
// and 退出 is on the screen; printed (print media), no menu, no 退出, no form, no links
// to other months, exports or downloads, and the signature lines are there. Screenshots of each page at both widths.
func TestBrowserLayouts(t *testing.T) {
	f := setup(t)
	axe := axeSource(t)
	for _, login := range []string{f.dep, f.ven, f.fin, f.bur} {
		t.Run(login, func(t *testing.T) {
			ctx := longTab(t, 10*time.Minute) // many pages; a loaded machine
			browserSignIn(t, ctx, f, login)
			var nav []string
			require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("header nav a")).map(a => a.getAttribute("href"))`, &nav)))
			require.NotEmpty(t, nav)
			pages := append(nav, rolePages(f, login)...)
			for i, page := range pages {
				name := fmt.Sprintf("layout-%s-%02d", login, i)
				// office screen
				require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(f.srv.URL+page)))
				waitFor(t, ctx, "main h1")
				widthShot(t, ctx, name+"-1366", 1366)
				axeCheck(t, ctx, axe, page, 1366)
				var navShown bool
				require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`getComputedStyle(document.querySelector("header nav")).display !== "none"`, &navShown)))
				assert.True(t, navShown, "%s: the menu is open on an office screen", page)

				// phone
				require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(f.srv.URL+page)))
				waitFor(t, ctx, "main h1")
				var scroll, client int
				require.NoError(t, chromedp.Run(ctx,
					chromedp.Evaluate(`document.documentElement.scrollWidth`, &scroll),
					chromedp.Evaluate(`document.documentElement.clientWidth`, &client)))
				assert.LessOrEqual(t, scroll, client, "%s at 390 px: the page scrolls sideways", page)
				assert.True(t, onScreen(t, ctx, "#logout"), "%s at 390 px: 退出 on the screen", page)
				assert.False(t, onScreen(t, ctx, "header nav a"), "%s at 390 px: the menu is folded", page)
				widthShot(t, ctx, name+"-390", 390)
				axeCheck(t, ctx, axe, page, 390)
				if i == 0 {
					require.NoError(t, chromedp.Run(ctx, chromedp.Click("#menu-toggle", chromedp.ByID)))
					assert.True(t, onScreen(t, ctx, "header nav a"), "the menu button opens the menu")
					widthShot(t, ctx, name+"-390-menu", 390)
				}

				// printed
				var printed map[string]bool
				require.NoError(t, chromedp.Run(ctx,
					emulation.SetEmulatedMedia().WithMedia("print"),
					chromedp.Evaluate(`(() => {
						const shown = sel => Array.from(document.querySelectorAll(sel)).some(e => getComputedStyle(e).display !== "none" && e.getClientRects().length > 0);
						return {nav: shown("header nav"), logout: shown("#logout"), form: shown("main form"), signature: shown(".signature"), main: shown("main h1"),
							links: shown("#prev-month, #next-month, #compare-prev, #compare-next, #export-xlsx, #statement-pdf")};
					})()`, &printed),
					emulation.SetEmulatedMedia().WithMedia(""),
				))
				assert.Equal(t, map[string]bool{"nav": false, "logout": false, "form": false, "signature": true, "main": true, "links": false}, printed, "%s printed", page)
			}
		})
	}
}

// longTab is tab with a longer deadline, for tests that open many pages.
func longTab(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(startBrowser(t))
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Run(ctx, network.ClearBrowserCookies(), chromedp.EmulateViewport(1366, 768)))
	ctx, cancel2 := context.WithTimeout(ctx, d)
	t.Cleanup(cancel2)
	return ctx
}

// onScreen: the first element matching sel is displayed and inside the viewport.
func onScreen(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	var ok bool
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false;
		const r = e.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth && r.top >= 0 && r.bottom <= window.innerHeight; })()`, sel)
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(js, &ok)), sel)
	return ok
}

// widthShot captures the viewport to NAME.png: as wide as the viewport, not blank.
func widthShot(t *testing.T, ctx context.Context, name string, width int) {
	t.Helper()
	var buf []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.CaptureScreenshot(&buf)), name)
	img, err := png.Decode(bytes.NewReader(buf))
	require.NoError(t, err, name)
	assert.Equal(t, width, img.Bounds().Dx(), "%s: screenshot width", name)
	nonWhite, total := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				nonWhite++
			}
		}
	}
	assert.Greater(t, nonWhite*100/total, 3, "%s: the screenshot is not blank", name)
	require.NoError(t, os.WriteFile(filepath.Join(screenshotDir(t), name+".png"), buf, 0o644))
}
