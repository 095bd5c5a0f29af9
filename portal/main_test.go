package portal_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/document/pdf"
	"cloudbill/gen"
	"cloudbill/internal/calendar"
	"cloudbill/portal"
	chstore "cloudbill/sql"
	"cloudbill/sql/chtest"
)

// The tests of this package share one ClickHouse (chtest), one generated district rated
// through the real cloudbill binary, one portal and one headless Chromium.

var (
	fxOnce sync.Once
	fx     *fixture
	fxErr  error
	tmpDir string
)

func TestMain(m *testing.M) {
	var code int
	func() {
		defer func() {
			stopBrowser()
			if tmpDir != "" {
				_ = os.RemoveAll(tmpDir)
			}
		}()
		code = m.Run()
	}()
	if fx != nil {
		fx.srv.Close()
		_ = fx.store.Close()
	}
	chtestMainExit(code)
}

// chtestMainExit stops the embedded ClickHouse (chtest.Main does it around m.Run).
func chtestMainExit(code int) {
	if s := chtest.Server(); s != nil {
		_ = s.Stop()
	}
	os.Exit(code)
}

// period is the generated month; it has ended (the machine clock is past it).
var period = calendar.MustPeriod("2026-10")

// fakeClock is the clock of the access service: tests move it forward to expire sessions.
type fakeClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

type fixture struct {
	bin, dsn, out string
	store         *chstore.Store
	access        *access.Service
	clock         *fakeClock
	portal        *portal.Server
	srv           *httptest.Server
	org           catalog.Org
	// accounts: login → password; the department account is of a 主管部门 with units.
	dep, unit, ven, fin, bur  string
	depID, unitID, foreignDep catalog.DepartmentID
	venID, foreignVen         catalog.VendorID
	issues                    int
	issueMu                   sync.Mutex
}

const password = "portal-test-password"

// setup builds the fixture once: build cloudbill, generate a district month, import,
// ingest, rate and issue its (provisional) statements through the CLI, then start the
// portal on the same database.
func setup(t *testing.T) *fixture {
	t.Helper()
	fxOnce.Do(func() { fx, fxErr = build(t) })
	if fxErr != nil {
		t.Fatalf("fixture: %v", fxErr)
	}
	return fx
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// cloudbillBinary builds cmd/cloudbill once for the package's tests (under tmpDir).
func cloudbillBinary() (string, error) {
	binOnce.Do(func() {
		if tmpDir == "" {
			if tmpDir, binErr = os.MkdirTemp("", "cloudbill-portal-test-"); binErr != nil {
				return
			}
		}
		binPath = filepath.Join(tmpDir, "cloudbill")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, "cloudbill/cmd/cloudbill")
		cmd.Dir = ".."
		if b, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build cloudbill: %v\n%s", err, b)
		}
	})
	return binPath, binErr
}

func build(t *testing.T) (*fixture, error) {
	ctx := context.Background()
	var err error
	if tmpDir == "" {
		if tmpDir, err = os.MkdirTemp("", "cloudbill-portal-test-"); err != nil {
			return nil, err
		}
	}
	f := &fixture{out: filepath.Join(tmpDir, "out"), clock: &fakeClock{}}
	if f.bin, err = cloudbillBinary(); err != nil {
		return nil, err
	}
	cfg := chtest.Config(t)
	u := url.URL{Scheme: "clickhouse", Host: cfg.Addr, Path: "/" + cfg.Database}
	if cfg.User != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	}
	f.dsn = u.String()
	input := filepath.Join(tmpDir, "input")
	m, err := gen.Generate(ctx, gen.Config{Out: input, Scale: gen.District, Period: period, Seed: 3, Samples: true})
	if err != nil {
		return nil, err
	}
	budgets, err := writeBudgets(filepath.Join(input, m.Projects), filepath.Join(tmpDir, "budgets.csv"))
	if err != nil {
		return nil, err
	}
	steps := append(loadSteps(m, input), []string{"budgets", "import", budgets},
		[]string{"rate", "--period", period.String()},
		[]string{"statements", "--period", period.String(), "--out", f.out})
	for _, s := range steps {
		if err := f.cli(s...); err != nil {
			return nil, err
		}
	}
	f.store, err = chstore.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	f.access, err = access.New(access.Config{Store: f.store, Now: f.clock.Now})
	if err != nil {
		return nil, err
	}
	if f.org, err = f.store.Org(ctx); err != nil {
		return nil, err
	}
	if err := f.pickAccounts(ctx); err != nil {
		return nil, err
	}
	uc, err := app.New(app.Config{Store: f.store, Now: time.Now, StatementsDir: f.out, LoadFont: pdf.Load})
	if err != nil {
		return nil, err
	}
	f.portal, err = portal.New(portal.Config{Store: f.store, Access: f.access, MaxUpload: 1 << 20, App: countIssues{uc, f},
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }})
	if err != nil {
		return nil, err
	}
	f.srv = httptest.NewServer(f.portal.Handler())
	return f, nil
}

// countIssues is the use cases, counting the statements issued after the portal's
// closes (fixture.issues).
type countIssues struct {
	*app.App
	f *fixture
}

func (c countIssues) Close(ctx context.Context, req app.CloseRequest) (app.CloseResult, error) {
	res, err := c.App.Close(ctx, req)
	if res.Statements != nil {
		c.f.issueMu.Lock()
		c.f.issues++
		c.f.issueMu.Unlock()
	}
	return res, err
}

// loadSteps are the CLI commands that import a generated month (in directory input):
// catalogs, adaptations, organisation, orders, acceptance and samples.
func loadSteps(m gen.Manifest, input string) [][]string {
	in := func(s string) string { return filepath.Join(input, s) }
	var steps [][]string
	for _, c := range m.Catalogs {
		steps = append(steps, []string{"catalog", "import", in(c.File), "--effective", c.Effective.String()})
	}
	steps = append(steps,
		[]string{"catalog", "adapt", in(m.Adaptations)},
		[]string{"org", "import", "--departments", in(m.Departments), "--projects", in(m.Projects), "--vendors", in(m.Vendors)},
		[]string{"orders", "import", in(m.Orders)},
		[]string{"acceptance", "import", in(m.Acceptance)})
	if len(m.Samples) > 0 {
		ingest := []string{"ingest", "--report", filepath.Join(input, "ingest.txt")}
		for _, s := range m.Samples {
			ingest = append(ingest, in(s))
		}
		steps = append(steps, ingest)
	}
	return steps
}

// cli runs the built cloudbill on the test database.
func (f *fixture) cli(args ...string) error {
	cmd := exec.Command(f.bin, append([]string{"--clickhouse", f.dsn}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
			return nil // reconcile: differences
		}
		return fmt.Errorf("cloudbill %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

// pickAccounts chooses the accounts' bindings from the generated organisation and adds
// one account per role (and one of a subordinate unit).
func (f *fixture) pickAccounts(ctx context.Context) error {
	children := map[catalog.DepartmentID][]catalog.DepartmentID{}
	var tops []catalog.DepartmentID
	for id, d := range f.org.Departments {
		if d.Parent != "" {
			children[d.Parent] = append(children[d.Parent], id)
		} else {
			tops = append(tops, id)
		}
	}
	sort.Slice(tops, func(i, j int) bool { return tops[i] < tops[j] })
	totals := f.statementTotals("departments")
	for _, id := range tops {
		if len(children[id]) > 0 && f.depID == "" && totals[string(id)].IsPositive() {
			f.depID = id
			kids := children[id]
			sort.Slice(kids, func(i, j int) bool { return kids[i] < kids[j] })
			f.unitID = kids[0]
		}
	}
	for _, id := range tops {
		if id != f.depID && totals[string(id)].IsPositive() && f.foreignDep == "" {
			f.foreignDep = id
		}
	}
	vt := f.statementTotals("vendors")
	var vs []string
	for v := range vt {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	if len(vs) < 2 || f.depID == "" || f.foreignDep == "" {
		return fmt.Errorf("generated district lacks a parent department, a second department or two vendors")
	}
	f.venID, f.foreignVen = catalog.VendorID(vs[0]), catalog.VendorID(vs[1])
	f.dep, f.unit, f.ven, f.fin, f.bur = "dept", "unit", "vendor", "finance", "bureau"
	for _, u := range []access.AddUserParams{
		{Login: "dept", Role: access.RoleDepartment, Department: f.depID},
		{Login: "unit", Role: access.RoleDepartment, Department: f.unitID},
		{Login: "vendor", Role: access.RoleVendor, Vendor: f.venID},
		{Login: "finance", Role: access.RoleFinance},
		{Login: "bureau", Role: access.RoleBureau},
	} {
		u.Password, u.By = password, access.Local("test")
		if _, err := f.access.AddUser(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// statementCSV reads an issued statement CSV of the fixture month (kind: departments or
// vendors, or "" for the summary).
func (f *fixture) statementCSV(kind, id string) []map[string]string {
	name := filepath.Join(f.out, period.String(), kind, id+".csv")
	if kind == "" {
		name = filepath.Join(f.out, period.String(), "summary.csv")
	}
	b, err := os.ReadFile(name)
	if err != nil {
		panic(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		panic(err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// statementTotals sums the amount column of every statement CSV of a kind, by id.
func (f *fixture) statementTotals(kind string) map[string]decimal.Decimal {
	entries, err := os.ReadDir(filepath.Join(f.out, period.String(), kind))
	if err != nil {
		panic(err)
	}
	out := map[string]decimal.Decimal{}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".csv")
		if !ok {
			continue
		}
		sum := decimal.Zero
		for _, r := range f.statementCSV(kind, id) {
			sum = sum.Add(decimal.RequireFromString(r["amount"]))
		}
		out[id] = sum
	}
	return out
}

// client is a signed-in HTTP client of one account, with its session's CSRF token.
type client struct {
	*http.Client
	base string
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the login form (its CSRF cookie included).
func (f *fixture) signIn(t *testing.T, login string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: f.srv.URL}
	res, err := c.Get(f.srv.URL + "/login")
	require.NoError(t, err)
	body := readBody(t, res)
	m := csrfRE.FindStringSubmatch(body)
	require.NotNil(t, m, "login form has a CSRF field")
	res, err = c.PostForm(f.srv.URL+"/login", url.Values{"csrf": {m[1]}, "login": {login}, "password": {password}, "next": {"/"}})
	require.NoError(t, err)
	readBody(t, res)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "sign in %s", login)
	res, err = c.Get(f.srv.URL + "/")
	require.NoError(t, err)
	body = readBody(t, res)
	require.Equal(t, 200, res.StatusCode)
	m = csrfRE.FindStringSubmatch(body)
	require.NotNil(t, m, "pages carry the session's CSRF token")
	c.csrf = m[1]
	return c
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	var b bytes.Buffer
	_, err := b.ReadFrom(res.Body)
	require.NoError(t, err)
	res.Body.Close()
	return b.String()
}

func (c *client) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := c.Get(c.base + path)
	require.NoError(t, err)
	return res.StatusCode, readBody(t, res)
}

func (c *client) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	res, err := c.PostForm(c.base+path, form)
	require.NoError(t, err)
	return res.StatusCode, readBody(t, res)
}

func jsonDecode(res *http.Response, v any) error { return json.NewDecoder(res.Body).Decode(v) }

func readFile(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(parts...))
	require.NoError(t, err)
	return b
}

func newJar() http.CookieJar {
	j, _ := cookiejar.New(nil)
	return j
}

// upload posts a multipart invoice upload.
func upload(t *testing.T, c *client, action, name string, content []byte, csrf string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if csrf != "" {
		require.NoError(t, mw.WriteField("csrf", csrf))
	}
	fw, err := mw.CreateFormFile("invoice", name)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest("POST", c.base+action, &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	require.NoError(t, err)
	return res.StatusCode, readBody(t, res)
}
