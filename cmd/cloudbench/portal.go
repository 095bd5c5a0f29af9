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
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"cloudbill/access"
	"cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/document/pdf"
	"cloudbill/gen"
	"cloudbill/internal/calendar"
	"cloudbill/portal"
	"cloudbill/rating"
	"cloudbill/sql/chbench"
	"cloudbill/statements/breakdown"
)

// benchPortal: the portal on the city-scale month (1,000 departments, 50,000 orders;
// samples synthesized by ClickHouse, CLOUDBENCH_PORTAL_SAMPLES, default 5,000,000),
// rated by `cloudbill rate`, served on loopback:
//   - server time of the drill-down of the largest department (the most lines with its
//     units): the first request (the month's figures loaded and built) and p95 over the
//     four drill levels asked 50 times each (p95 ≤ 300 ms);
//   - 50 signed-in users at once (45 departments, 5 finance), each browsing 20 pages and
//     API answers in its scope, a first round (each department's first views) and a
//     second: p50, p95 and errors (p95 ≤ 300 ms, no errors), and the process's memory.
func benchPortal(ctx context.Context) ([]figure, error) {
	if os.Getenv(portalClientsEnv) != "" {
		return nil, runPortalClients(ctx)
	}
	var figs []figure
	p := benchPeriod()
	prof := os.Getenv("CLOUDBENCH_PORTAL_PROFILE")
	sc, err := portalMonth(ctx, p)
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	s := sc.Store
	memStage("month ready (before the portal)", "")
	run := time.Now().Format("150405") // logins of this run (a kept directory has earlier runs' too)

	svc, err := access.New(access.Config{Store: s})
	if err != nil {
		return nil, err
	}
	uc, err := app.New(app.Config{Store: s, Now: time.Now, LoadFont: pdf.Load})
	if err != nil {
		return nil, err
	}
	srv, err := portal.New(portal.Config{Store: s, Access: svc, App: uc})
	if err != nil {
		return nil, err
	}
	// as serve: the rated month's figures load when the month is seen rated, before the
	// first user asks
	tw, cw := time.Now(), cpuTime()
	if err := srv.Warm(ctx); err != nil {
		return nil, err
	}
	fmt.Printf("warm (the month's lines, statements and every department's breakdown made once the rating is seen): %.0f ms, %.1f s CPU\n", ms(time.Since(tw)), (cpuTime() - cw).Seconds())
	memStage("after the warm", "warm")
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
	// the first charge line of each top department (its drill levels); the month's lines
	// are not kept by the clients
	firsts := map[catalog.DepartmentID]rating.Line{}
	for _, d := range tops {
		firsts[d] = firstLine(org, lines, d)
	}
	lines = nil
	const pw = "cloudbench-password"
	add := func(login string, role access.Role, dep catalog.DepartmentID) error {
		_, err := svc.AddUser(ctx, access.AddUserParams{Login: access.Login(login), Role: role, Department: dep, Password: pw, By: access.Local("cloudbench")})
		return err
	}
	if err := add("largest-"+run, access.RoleDepartment, largest); err != nil {
		return nil, err
	}
	c, err := benchSignIn(base, "largest-"+run, pw)
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
	levels := drillLevels(drill, firsts[largest])
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

	// 50 users at once, their clients in a child process (portalClients): the CPU of this
	// process is the server's alone, the clients' is measured apart (on 2 cores they
	// compete with the server)
	var users []clientUser
	for i := 0; i < 50; i++ {
		login := fmt.Sprintf("user%02d-%s", i, run)
		var role access.Role = access.RoleDepartment
		dep := tops[i%len(tops)]
		if i%10 == 9 {
			role, dep = access.RoleFinance, ""
		}
		if err := add(login, role, dep); err != nil {
			return nil, err
		}
		u := clientUser{Login: login}
		if role == access.RoleFinance {
			u.Paths = []string{"/", "/months", "/statements/" + p.String(), "/api/v1/periods", "/departments/" + url.PathEscape(string(tops[i])) + "/" + p.String()}
		} else {
			api := "/api/v1/breakdown?period=" + p.String() + "&department=" + url.QueryEscape(string(dep))
			lv := drillLevels("/departments/"+url.PathEscape(string(dep))+"/"+p.String(), firsts[dep])
			u.Paths = []string{"/", lv[0], lv[1], lv[2], api}
		}
		users = append(users, u)
	}
	cl, err := startClients(ctx, clientsPlan{Base: base, Password: pw, Users: users, Requests: 20})
	if err != nil {
		return nil, err
	}
	defer cl.stop()
	chPid := runningCH(sc.Dir)
	for round, what := range []string{"first round: each department's first views", "second round: warm"} {
		if prof != "" {
			pf, err := os.Create(fmt.Sprintf("%s.round%d.cpu.pprof", prof, round+1))
			if err != nil {
				return nil, err
			}
			_ = pprof.StartCPUProfile(pf)
		}
		stop := make(chan struct{})
		peak := peakWatch(fmt.Sprintf("round%d-peak", round+1), stop)
		load0 := loadNow()
		chIdle0, idle0 := procCPU(chPid), time.Now()
		time.Sleep(1100 * time.Millisecond)                                           // the query log counts whole seconds
		chIdle := float64(procCPU(chPid)-chIdle0) / float64(time.Since(idle0)) * 1000 // ms of CPU a second, no request
		since := time.Now()
		srv0, cli0, ch0 := cpuTime(), procCPU(cl.pid()), procCPU(chPid)
		var gc0 runtime.MemStats
		runtime.ReadMemStats(&gc0)
		t2 := time.Now()
		res, err := cl.round(ctx)
		if err != nil {
			return nil, err
		}
		wall := time.Since(t2)
		srvCPU, cliCPU, chCPU := cpuTime()-srv0, procCPU(cl.pid())-cli0, procCPU(chPid)-ch0
		var gc1 runtime.MemStats
		runtime.ReadMemStats(&gc1)
		until := time.Now()
		close(stop)
		if prof != "" {
			pprof.StopCPUProfile()
		}
		var all []time.Duration
		for _, us := range res.Micros {
			all = append(all, time.Duration(us)*time.Microsecond)
		}
		n := len(all) + res.Errors
		fmt.Printf("50 signed-in users at once, 20 requests each, %s (%d requests in %.1f s, %.0f/s): p50 %.0f ms, p95 %.0f ms, max %.0f ms, %d errors (target p95 ≤ 300 ms, no errors); process resident at most %.0f MB; load %s before, %s after\n",
			what, n, wall.Seconds(), float64(len(all))/wall.Seconds(), ms(pct(all, 50)), ms(pct(all, 95)), ms(pct(all, 100)), res.Errors, <-peak, load0, loadNow())
		if res.FirstError != "" {
			fmt.Printf("  first error: %s\n", res.FirstError)
		}
		per := func(d time.Duration) float64 { return ms(d) / float64(max(n, 1)) }
		fmt.Printf("  CPU per request: server %.2f ms (%.1f s in all, %d GCs, %.0f MB allocated), the 50 clients %.2f ms, ClickHouse %.2f ms (%.1f s in all; %.0f ms a second before the round, no request)\n",
			per(srvCPU), srvCPU.Seconds(), gc1.NumGC-gc0.NumGC, float64(gc1.TotalAlloc-gc0.TotalAlloc)/(1<<20), per(cliCPU), per(chCPU), chCPU.Seconds(), chIdle)
		qs, qerr := chbench.Queries(ctx, s, since, until)
		nq := 0
		for _, q := range qs {
			nq += q.N
		}
		if qerr != nil {
			fmt.Printf("  ClickHouse queries: not counted (%v)\n", qerr)
		} else {
			fmt.Printf("  ClickHouse queries during the round: %d (%.3f per request)\n", nq, float64(nq)/float64(max(n, 1)))
			for i, q := range qs {
				if i == 12 {
					fmt.Printf("    … %d more kinds\n", len(qs)-i)
					break
				}
				fmt.Printf("    %5d  %s\n", q.N, q.Query)
			}
		}
		memStage(fmt.Sprintf("after round %d", round+1), fmt.Sprintf("round%d", round+1))
		figs = append(figs,
			figure{Name: fmt.Sprintf("portal, 50 users at once, round %d, p95", round+1), Value: ms(pct(all, 95)), Unit: "ms", Bound: 300,
				Command: "cloudbench portal: 50 signed-in users × 20 requests", Load: loadNow()},
			figure{Name: fmt.Sprintf("portal, round %d, server CPU per request", round+1), Value: per(srvCPU), Unit: "ms",
				Command: "cloudbench portal: the bench process's CPU (clients apart) ÷ requests", Load: loadNow()})
		if qerr == nil {
			figs = append(figs, figure{Name: fmt.Sprintf("portal, round %d, ClickHouse queries per request", round+1), Value: float64(nq) / float64(max(n, 1)), Unit: "",
				Command: "cloudbench portal: system.query_log during the round ÷ requests", Load: loadNow()})
		}
		if res.Errors > 0 {
			return nil, fmt.Errorf("round %d: %d requests failed", round+1, res.Errors)
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

// portalMonth is the rated city month the portal benchmark serves: set up in a temporary
// directory (removed after), or, with CLOUDBENCH_PORTAL_DIR, set up there once and reused
// by later runs (its embedded ClickHouse restarted on the kept data): the set-up (city
// generation, imports, samples, rating) takes minutes, the measured part does not.
func portalMonth(ctx context.Context, p calendar.Period) (*scratch, error) {
	n := envInt("CLOUDBENCH_PORTAL_SAMPLES", 5_000_000)
	dir := os.Getenv("CLOUDBENCH_PORTAL_DIR")
	var sc *scratch
	var err error
	keep := dir != ""
	if !keep {
		if dir, err = os.MkdirTemp("", "cloudbench-portal-"); err != nil {
			return nil, err
		}
	}
	// the server logs every query (system.query_log): the queries of each round
	if err := chbench.LogQueries(filepath.Join(dir, "clickhouse")); err != nil {
		return nil, err
	}
	sc, err = keptScratch(ctx, dir)
	if err != nil {
		return nil, err
	}
	sc.keep = keep
	ready := filepath.Join(sc.Dir, "portal-month-ready")
	if b, err := os.ReadFile(ready); err == nil {
		fmt.Printf("city month %s reused from %s (%s)\n", p, sc.Dir, strings.TrimSpace(string(b)))
		return sc, nil
	}
	t0 := time.Now()
	fail := func(err error) (*scratch, error) { sc.Close(); return nil, err }
	m, err := gen.Generate(ctx, gen.Config{Out: sc.Dir + "/data", Scale: gen.City, Period: p, Seed: 1})
	if err != nil {
		return fail(err)
	}
	im, err := importDataset(ctx, sc.Store, sc.Dir+"/data", m)
	if err != nil {
		return fail(err)
	}
	if err := chbench.Samples(ctx, sc.Store, p, resourcesOf(im.Catalog, im.Events), n); err != nil {
		return fail(err)
	}
	bin, err := cloudbillBinary(ctx, sc.Dir)
	if err != nil {
		return fail(err)
	}
	if out, err := exec.CommandContext(ctx, bin, "--clickhouse", sc.Server.DSN("bench"), "rate", "--period", p.String()).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("cloudbill rate: %v\n%s", err, out))
	}
	_ = os.RemoveAll(sc.Dir + "/data") // the generated files are imported; the samples were synthesized
	what := fmt.Sprintf("%d orders, %d samples synthesized, rated", m.Counts.Orders, n)
	if err := os.WriteFile(ready, []byte(what+"\n"), 0o644); err != nil {
		return fail(err)
	}
	fmt.Printf("city month %s: %s (set-up %.0f s)\n", p, what, time.Since(t0).Seconds())
	return sc, nil
}

// memStage prints the process's memory at a stage of the benchmark (resident now and at
// its peak, the Go heap in use) and, when CLOUDBENCH_PORTAL_PROFILE is set, writes a heap
// profile named after the stage (`go tool pprof -sample_index=inuse_space|alloc_space`).
func memStage(what, file string) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, hwm := procMem()
	fmt.Printf("memory, %s: resident %.0f MB (peak %.0f MB), Go heap in use %.0f MB, allocated so far %.0f MB, load %s\n",
		what, rss, hwm, float64(ms.HeapInuse)/(1<<20), float64(ms.TotalAlloc)/(1<<20), loadNow())
	if prof := os.Getenv("CLOUDBENCH_PORTAL_PROFILE"); prof != "" && file != "" {
		if f, err := os.Create(prof + "." + file + ".heap.pprof"); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
	}
}

// procMem is the process's resident set and its peak (VmRSS, VmHWM), in MB.
func procMem() (rss, hwm float64) {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// peakWatch samples the resident set every second until stop is closed and writes a heap
// profile (CLOUDBENCH_PORTAL_PROFILE.FILE.heap.pprof) each time it has grown by 256 MB
// since the last one: the heap at the round's peak. It returns the peak seen.
func peakWatch(file string, stop <-chan struct{}) <-chan float64 {
	out := make(chan float64, 1)
	go func() {
		peak, written := 0.0, 0.0
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for n := 0; ; n++ {
			if prof := os.Getenv("CLOUDBENCH_PORTAL_PROFILE"); prof != "" && n%5 == 4 {
				// where the requests wait: the goroutines every 5 seconds
				if f, err := os.Create(fmt.Sprintf("%s.%s.goroutines-%02d.txt", prof, file, n/5)); err == nil {
					_ = pprof.Lookup("goroutine").WriteTo(f, 1)
					_ = f.Close()
				}
			}
			rss, _ := procMem()
			peak = max(peak, rss)
			if prof := os.Getenv("CLOUDBENCH_PORTAL_PROFILE"); prof != "" && rss > written+256 {
				written = rss
				if f, err := os.Create(prof + "." + file + ".heap.pprof"); err == nil {
					_ = pprof.WriteHeapProfile(f)
					_ = f.Close()
				}
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-tk.C:
			}
		}
	}()
	return out
}
