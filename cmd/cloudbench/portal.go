package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"cloudbill/access"
	"cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/gen"
	"cloudbill/invoicing/breakdown"
	"cloudbill/portal"
	"cloudbill/rating"
	"cloudbill/sql/chbench"
)

// benchPortal: the portal on the city-scale month (1,000 departments, 50,000 orders;
// samples synthesized by ClickHouse, CLOUDBENCH_PORTAL_SAMPLES, default 5,000,000),
// rated by `cloudbill rate`, served on loopback:
//   - server time of the drill-down of the largest department (the most lines with its
//     units): the first request (the month's figures loaded and built) and p95 over the
//     four drill levels asked 50 times each (p95 ≤ 300 ms);
//   - 50 signed-in users at once (45 departments, 5 finance), each browsing 20 pages and
//     API answers in its scope: p95 and errors (p95 ≤ 500 ms, no errors).
func benchPortal(ctx context.Context) ([]figure, error) {
	var figs []figure
	n := envInt("CLOUDBENCH_PORTAL_SAMPLES", 5_000_000)
	p := benchPeriod()
	sc, err := newScratch(ctx, "portal")
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	s := sc.Store
	t0 := time.Now()
	m, err := gen.Generate(ctx, gen.Config{Out: sc.Dir + "/data", Scale: gen.City, Period: p, Seed: 1})
	if err != nil {
		return nil, err
	}
	im, err := importDataset(ctx, s, sc.Dir+"/data", m)
	if err != nil {
		return nil, err
	}
	cat, events := im.Catalog, im.Events
	if err := chbench.Samples(ctx, s, p, resourcesOf(cat, events), n); err != nil {
		return nil, err
	}
	bin, err := cloudbillBinary(ctx, sc.Dir)
	if err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, bin, "--clickhouse", sc.Server.DSN("bench"), "rate", "--period", p.String()).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cloudbill rate: %v\n%s", err, out)
	}
	fmt.Printf("city month %s: %d orders, %d samples synthesized, rated (set-up %.0f s)\n", p, m.Counts.Orders, n, time.Since(t0).Seconds())

	svc, err := access.New(access.Config{Store: s})
	if err != nil {
		return nil, err
	}
	uc, err := app.New(app.Config{Store: s, Now: time.Now})
	if err != nil {
		return nil, err
	}
	srv, err := portal.New(portal.Config{Store: s, Access: svc, App: uc})
	if err != nil {
		return nil, err
	}
	// as serve: the rated month's figures load when the month is seen rated, before the
	// first user asks
	tw := time.Now()
	if err := srv.Warm(ctx); err != nil {
		return nil, err
	}
	fmt.Printf("warm (the month's lines and statements loaded once the rating is seen): %.0f ms\n", ms(time.Since(tw)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	// the largest department: most lines, its units included
	org, err := s.Org(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := s.RatedLines(ctx, p)
	if err != nil {
		return nil, err
	}
	perDep := map[catalog.DepartmentID]int{}
	for _, l := range lines {
		perDep[l.Department]++
	}
	var tops []catalog.DepartmentID
	size := map[catalog.DepartmentID]int{}
	for id, d := range org.Departments {
		if d.Parent != "" {
			continue
		}
		tops = append(tops, id)
		for _, u := range breakdown.Units(org, id) {
			size[id] += perDep[u]
		}
	}
	sort.Slice(tops, func(i, j int) bool {
		if size[tops[i]] != size[tops[j]] {
			return size[tops[i]] > size[tops[j]]
		}
		return tops[i] < tops[j]
	})
	largest := tops[0]
	const pw = "cloudbench-password"
	add := func(login string, role access.Role, dep catalog.DepartmentID) error {
		_, err := svc.AddUser(ctx, access.AddUserParams{Login: access.Login(login), Role: role, Department: dep, Password: pw, By: access.Local("cloudbench")})
		return err
	}
	if err := add("largest", access.RoleDepartment, largest); err != nil {
		return nil, err
	}
	c, err := benchSignIn(base, "largest", pw)
	if err != nil {
		return nil, err
	}
	drill := "/departments/" + url.PathEscape(string(largest)) + "/" + p.String()
	t1 := time.Now()
	if _, err := c.fetch(drill); err != nil {
		return nil, err
	}
	first := time.Since(t1)
	// the drill levels of the department's first line, by stable ids (the API's url)
	api := "/api/v1/breakdown?period=" + p.String() + "&department=" + url.QueryEscape(string(largest))
	body, err := c.body(api)
	if err != nil {
		return nil, err
	}
	levels := drillLevels(drill, firstLine(org, lines, largest))
	fmt.Printf("JSON breakdown of the largest department %s: %d bytes\n", largest, len(body))
	var times []time.Duration
	for i := 0; i < 50; i++ {
		for _, l := range levels {
			d, err := c.fetch(l)
			if err != nil {
				return nil, err
			}
			times = append(times, d)
		}
	}
	fmt.Printf("drill-down of the largest department %s (%d lines with its units): first request %.0f ms (the month's figures loaded and built), then p50 %.1f ms, p95 %.1f ms over %d requests of the four levels (target p95 ≤ 300 ms)\n",
		largest, size[largest], ms(first), ms(pct(times, 50)), ms(pct(times, 95)), len(times))
	figs = append(figs, figure{Name: "portal drill-down, p95", Value: ms(pct(times, 95)), Unit: "ms", Bound: 300,
		Command: fmt.Sprintf("cloudbench portal: %d requests of the largest department's four levels", len(times)), Load: loadNow()})

	// 50 users at once
	var users []*benchClient
	var paths [][]string
	for i := 0; i < 50; i++ {
		login := fmt.Sprintf("user%02d", i)
		var role access.Role = access.RoleDepartment
		dep := tops[i%len(tops)]
		if i%10 == 9 {
			role, dep = access.RoleFinance, ""
		}
		if err := add(login, role, dep); err != nil {
			return nil, err
		}
		uc, err := benchSignIn(base, login, pw)
		if err != nil {
			return nil, err
		}
		users = append(users, uc)
		if role == access.RoleFinance {
			paths = append(paths, []string{"/", "/months", "/statements/" + p.String(), "/api/v1/periods", "/departments/" + url.PathEscape(string(tops[i])) + "/" + p.String()})
		} else {
			api := "/api/v1/breakdown?period=" + p.String() + "&department=" + url.QueryEscape(string(dep))
			lv := drillLevels("/departments/"+url.PathEscape(string(dep))+"/"+p.String(), firstLine(org, lines, dep))
			paths = append(paths, []string{"/", lv[0], lv[1], lv[2], api})
		}
	}
	for round, what := range []string{"first round: each department's figures loaded on its first view", "second round: figures cached"} {
		var mu sync.Mutex
		var all []time.Duration
		errs := 0
		var wg sync.WaitGroup
		if f := os.Getenv("CLOUDBENCH_PORTAL_PROFILE"); f != "" && round == 1 {
			pf, err := os.Create(f)
			if err != nil {
				return nil, err
			}
			_ = pprof.StartCPUProfile(pf)
			defer pprof.StopCPUProfile()
		}
		t2 := time.Now()
		for i, u := range users {
			wg.Add(1)
			go func(u *benchClient, ps []string) {
				defer wg.Done()
				for k := 0; k < 20; k++ {
					d, err := u.fetch(ps[k%len(ps)])
					mu.Lock()
					if err != nil {
						errs++
					} else {
						all = append(all, d)
					}
					mu.Unlock()
				}
			}(u, paths[i])
		}
		wg.Wait()
		wall := time.Since(t2)
		fmt.Printf("50 signed-in users at once, 20 requests each, %s (%d requests in %.1f s, %.0f/s): p50 %.0f ms, p95 %.0f ms, max %.0f ms, %d errors (target p95 ≤ 500 ms, no errors)\n",
			what, len(all)+errs, wall.Seconds(), float64(len(all))/wall.Seconds(), ms(pct(all, 50)), ms(pct(all, 95)), ms(pct(all, 100)), errs)
		figs = append(figs, figure{Name: fmt.Sprintf("portal, 50 users at once, round %d, p95", round+1), Value: ms(pct(all, 95)), Unit: "ms", Bound: 500,
			Command: "cloudbench portal: 50 signed-in users × 20 requests", Load: loadNow()})
		if errs > 0 {
			return nil, fmt.Errorf("round %d: %d requests failed", round+1, errs)
		}
	}
	return figs, nil
}

type benchClient struct {
	*http.Client
	base string
}

var benchCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func benchSignIn(base, login, pw string) (*benchClient, error) {
	jar, _ := cookiejar.New(nil)
	c := &benchClient{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	res, err := c.Get(base + "/login")
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := benchCSRF.FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("no CSRF field on the sign-in page")
	}
	res, err = c.PostForm(base+"/login", url.Values{"csrf": {string(m[1])}, "login": {login}, "password": {pw}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in %s: %s", login, res.Status)
	}
	c.Client.CheckRedirect = nil
	c.base = base
	return c, nil
}

// fetch GETs a path and returns the time to the whole answer; not 200 is an error.
// firstLine is the first rated charge line of department dep or its units.
func firstLine(org catalog.Org, lines []rating.Line, dep catalog.DepartmentID) rating.Line {
	units := map[catalog.DepartmentID]bool{}
	for _, u := range breakdown.Units(org, dep) {
		units[u] = true
	}
	for _, l := range lines {
		if units[l.Department] && l.Kind == rating.KindCharge {
			return l
		}
	}
	return rating.Line{}
}

// drillLevels are the four drill-down pages of line l under the department page d: the
// department, the line's project, its work order and the line, each by id (as the
// portal links them).
func drillLevels(d string, l rating.Line) []string {
	id := func(s string) string {
		if s == "" {
			return "-"
		}
		return url.QueryEscape(s)
	}
	pr := d + "?unit=" + id(string(l.Department)) + "&project=" + id(string(l.Project))
	o := pr + "&order=" + id(string(l.Order)) + "&vendor=" + id(string(l.Vendor))
	return []string{d, pr, o, o + "&line=" + breakdown.LineID(l)}
}

// body is the answer to GET path.
func (c *benchClient) body(path string) ([]byte, error) {
	res, err := c.Get(c.base + path)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return b, nil
}

func (c *benchClient) fetch(path string) (time.Duration, error) {
	t := time.Now()
	res, err := c.Get(c.base + path)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return 0, fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return time.Since(t), nil
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	if i > len(s) {
		i = len(s)
	}
	return s[i-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
