package portal_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// axe-core, the accessibility checker, is a test dependency only: the npm package of a
// pinned version is fetched once from the npm registry into the user's cache
// ($XDG_CACHE_HOME/cloudbill, else ~/.cache/cloudbill), checked against the registry's
// sha512 integrity, and its axe.min.js injected into the pages in the Chromium the tests
// already run. CLOUDBILL_AXE names an axe.min.js to use instead (an offline machine).
const (
	axeVersion   = "4.10.3"
	axeTarball   = "https://registry.npmjs.org/axe-core/-/axe-core-" + axeVersion + ".tgz"
	axeIntegrity = "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
)

func axeSource(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CLOUDBILL_AXE"); p != "" {
		b, err := os.ReadFile(p)
		require.NoError(t, err, "CLOUDBILL_AXE")
		return string(b)
	}
	dir, err := os.UserCacheDir()
	require.NoError(t, err)
	file := filepath.Join(dir, "cloudbill", "axe-core-"+axeVersion, "axe.min.js")
	if b, err := os.ReadFile(file); err == nil {
		return string(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", axeTarball, nil)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "fetch %s (offline: set CLOUDBILL_AXE to an axe.min.js of axe-core %s)", axeTarball, axeVersion)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode, axeTarball)
	tgz, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	require.NoError(t, err)
	sum := sha512.Sum512(tgz)
	require.Equal(t, axeIntegrity, "sha512-"+base64.StdEncoding.EncodeToString(sum[:]), "integrity of %s", axeTarball)
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		require.NoError(t, err, "axe.min.js in %s", axeTarball)
		if h.Name != "package/axe.min.js" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, 16<<20))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
		tmp := file + ".tmp"
		require.NoError(t, os.WriteFile(tmp, b, 0o644))
		require.NoError(t, os.Rename(tmp, file))
		return string(b)
	}
}

// axeViolation is one rule axe-core found broken, with where.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	Targets []string
	Nodes   []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axeRun checks the page in ctx with axe-core (WCAG 2.1 A and AA rules and best
// practices) and returns the serious and critical violations.
func axeRun(t *testing.T, ctx context.Context, src string) []axeViolation {
	t.Helper()
	var loaded bool
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(src+";typeof axe === 'object'", &loaded)))
	require.True(t, loaded, "axe-core loaded")
	var vs []axeViolation
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`, &vs,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })))
	var out []axeViolation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			for _, n := range v.Nodes {
				v.Targets = append(v.Targets, fmt.Sprint(n.Target)+" "+truncateHTML(n.HTML))
			}
			out = append(out, v)
		}
	}
	return out
}

func truncateHTML(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// axeCheck fails the test for each serious or critical violation on the page in ctx.
func axeCheck(t *testing.T, ctx context.Context, src, page string, width int) {
	t.Helper()
	for _, v := range axeRun(t, ctx, src) {
		sort.Strings(v.Targets)
		t.Errorf("%s at %d px: %s (%s): %s\n  %s", page, width, v.ID, v.Impact, v.Help, strings.Join(v.Targets, "\n  "))
	}
}

// TestAccessibility runs axe-core on the pages TestBrowserLayouts does not reach (it
// checks every page of each role's menu and drill-down): the sign-in page, an error page,
// the account pages, a close page, filtered lists; at 1366×768 and 390×844: no serious
// or critical violation.
func TestAccessibility(t *testing.T) {
	f := setup(t)
	src := axeSource(t)
	ctx := longTab(t, 6*time.Minute)
	pages := []string{"/login"}
	for _, w := range []int64{1366, 390} {
		require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(w, 844), chromedp.Navigate(f.srv.URL+"/login")))
		waitFor(t, ctx, "#login")
		axeCheck(t, ctx, src, "/login", int(w))
	}
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(1366, 768)))
	browserSignIn(t, ctx, f, f.bur)
	for _, page := range []string{"/no/such/page", "/accounts/" + f.dep + "/disable", "/accounts/" + f.dep + "/reset-password",
		"/months/2026-09/close", "/months/" + period.String() + "/close", "/departments/" + string(f.depID) + "/2026-09",
		"/audit?from=2026-01-01", "/idle?state=overdue", "/statements/" + period.String() + "?kind=vendor"} {
		pages = append(pages, page)
		for _, w := range []int64{1366, 390} {
			require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(w, 844), chromedp.Navigate(f.srv.URL+page)))
			waitFor(t, ctx, "main h1")
			axeCheck(t, ctx, src, page, int(w))
		}
	}
	t.Logf("axe-core %s: %d pages at two widths", axeVersion, len(pages))
}
