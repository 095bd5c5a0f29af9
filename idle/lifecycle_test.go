package idle_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/document/pdf"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/metering"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

var day = calendar.MustDate

const (
	catalogCSV = `code,name,category,unit,billing,price_internet,price_extranet,meter_metric,meter_agg,mode
C01,云服务器 vCPU,compute,vCPU·月,allocated,40,40,,,shared
C02,云服务器 内存,compute,GB·月,allocated,15,15,,,shared
C03,云服务器 2核4G 套餐,compute,台·月,allocated,109.9,109.9,,,shared
`
	departmentsCSV = "id,name,parent_id\nD1,区财政局,\nD2,区财政局 国库支付中心,D1\nD3,区教育局,\n"
	projectsCSV    = "id,name,department_id,year,category,approved\nP1,财政一体化运维,D1,2026,om,true\nP3,智慧教育运维,D3,2026,om,true\n"
	vendorsCSV     = "id,name\nV1,城市云服务有限公司\n"
	// O1: D1 16 vCPU; O2: D2 (a unit of D1) 64 GB; O3 a 2核4G package (not analysed).
	// O4, O5: D3, 8 vCPU each, for the leap February.
	ordersCSV = `order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type,portion
O1,open,2026-01-01,D1,P1,V1,extranet,C01,16,ecs-1,,
O2,open,2026-01-01,D2,P1,V1,internet,C02,64,ecs-2,,
O3,open,2026-01-01,D1,P1,V1,extranet,C03,2,ecs-3,,
O4,open,2027-12-01,D3,P3,V1,extranet,C01,8,ecs-4,,
O5,open,2027-12-01,D3,P3,V1,extranet,C01,8,ecs-5,,
`
	// memory's ratio is 0.25 from 2026-01-01; vCPU keeps the default 0.20
	configCSV = "kind,effective,ratio,note\nmemory,2026-01-01,0.25,市大数据主管部门 2026 年标准\n"
)

func importCSV(t *testing.T, s *chstore.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	f := func(name, body string) catalog.File { return catalog.File{Name: name, R: strings.NewReader(body)} }
	_, err := catalog.ImportVersion(ctx, s, catalog.VersionInput{File: f("catalog.csv", catalogCSV), Effective: day("2026-01-01"), Now: now})
	require.NoError(t, err)
	d, p, v := f("departments.csv", departmentsCSV), f("projects.csv", projectsCSV), f("vendors.csv", vendorsCSV)
	_, err = catalog.ImportOrg(ctx, s, catalog.OrgFiles{Departments: &d, Projects: &p, Vendors: &v}, now.Add(time.Millisecond))
	require.NoError(t, err)
	_, err = catalog.ImportEvents(ctx, s, f("orders.csv", ordersCSV), now.Add(2*time.Millisecond))
	require.NoError(t, err)
	_, err = idle.ImportConfig(ctx, s, "ratios.csv", strings.NewReader(configCSV), now.Add(3*time.Millisecond))
	require.NoError(t, err)
}

// hourlySamples stores one sample an hour of metric for resource, every day of [from, to],
// at value v.
func hourlySamples(t *testing.T, s *chstore.Store, resource, metric string, from, to calendar.Date, v float64) {
	t.Helper()
	var b metering.Batch
	for d := from; !d.After(to); d = d.AddDays(1) {
		for h := 0; h < 24; h++ {
			b.Append(metering.Sample{ResourceID: resource, Metric: metric, TS: d.Start().Add(time.Duration(h) * time.Hour), Value: v, Source: "V1"})
		}
	}
	for i := range b.Version {
		b.Version[i] = uint64(i + 1)
	}
	require.NoError(t, s.InsertSamples(context.Background(), &b))
}

func importOrders(t *testing.T, s *chstore.Store, name, body string) {
	t.Helper()
	_, err := catalog.ImportEvents(context.Background(), s, catalog.File{Name: name, R: strings.NewReader(body)}, time.Now())
	require.NoError(t, err)
}

func caseByID(t *testing.T, s *chstore.Store, id string) idle.Case {
	t.Helper()
	cs, err := s.Cases(context.Background())
	require.NoError(t, err)
	for _, c := range cs {
		if string(c.ID) == id {
			return c
		}
	}
	t.Fatalf("no case %s among %d", id, len(cs))
	return idle.Case{}
}

// TestLifecycle follows two reminders of 2026-01-31 (deadline 2026-02-28: February has no
// 31st) to their ends, on real ClickHouse with real imports.
//
// Samples: every hour of 2026-01-01 … 01-31 (the window of 01-31 is 01-02 … 01-31). ecs-1 (O1, D1, 16 vCPU) at 10% cpu_util: p95 10,
// used 16 × 10 ÷ 100 = 1.6, idle 0.9 > 0.20 → ≥ 1.6 ÷ 0.8 = 2: 2 vCPU, saving 14 × 40 =
// 560.00. ecs-2 (O2, D2, 64 GB) at 25% mem_util: used 16, idle 0.75 > 0.25 (imported) → ≥
// 16 ÷ 0.75 = 21.33: 22 GB, saving 42 × 15 = 630.00. D2 is a unit of D1: its own case, D1
// told. O3 (a 2核4G package) is not analysed.
//
//  1. analyze 2026-01-31: two cases open, deadline 2026-02-28;
//  2. analyze 2026-02-15 (window 01-17 … 02-15: the 15 days of January count): no new case,
//     evidence added to both; the first evidence stays as it was;
//  3. O1 changed to 2 vCPU effective 02-20 (an import): follow 02-21 resolves D1's case on
//     02-20; D2's stays open until 02-28 and is overdue on 03-01;
//  4. the downsizing list exports O2 → 22 effective 03-01 as a work-order event file; once
//     imported, the list is empty.
func TestLifecycle(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	importCSV(t, s)
	hourlySamples(t, s, "ecs-1", "cpu_util", day("2026-01-01"), day("2026-01-31"), 10)
	hourlySamples(t, s, "ecs-1", "mem_util", day("2026-01-01"), day("2026-01-31"), 99) // not O1's kind
	hourlySamples(t, s, "ecs-2", "mem_util", day("2026-01-01"), day("2026-01-31"), 25)
	hourlySamples(t, s, "ecs-3", "cpu_util", day("2026-01-01"), day("2026-01-31"), 1)

	res, err := idle.Run(ctx, s, day("2026-01-31"), 3600)
	require.NoError(t, err)
	require.Len(t, res.Rows, 2, "O1 and O2; O3's package is no vCPU or memory item")
	rec, err := idle.Record(ctx, s, res.Analysis, time.Now())
	require.NoError(t, err)
	require.Len(t, rec.Opened, 2)

	c1 := caseByID(t, s, "20260131-D1-vcpu")
	assert.Equal(t, "2026-02-28", c1.Deadline.String())
	assert.Equal(t, "2", c1.Target.String())
	assert.Equal(t, "560", c1.Saving.String())
	c2 := caseByID(t, s, "20260131-D2-memory")
	assert.Equal(t, catalog.DepartmentID("D1"), c2.Parent, "the unit's 主管部门 is told")
	assert.Equal(t, "0.25", c2.Ratio.String())
	assert.Equal(t, "22", c2.Target.String())
	assert.Equal(t, "630", c2.Saving.String())

	var csvOut bytes.Buffer
	require.NoError(t, idle.WriteCSV(&csvOut, res.Analysis))
	rows, err := csv.NewReader(&csvOut).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"department_id", "kind", "resource_id", "order_id", "allocated", "p95_util", "used", "status", "recommended_quantity", "monthly_saving"}, rows[0][:10])
	assert.Equal(t, []string{"D1", "vcpu", "ecs-1", "O1", "16", "10", "1.6", "reduce", "2", "560.00"}, rows[1][:10])
	assert.Equal(t, []string{"D2", "memory", "ecs-2", "O2", "64", "25", "16", "reduce", "22", "630.00"}, rows[2][:10])

	// the same date again: nothing new
	rec, err = idle.Record(ctx, s, res.Analysis, time.Now())
	require.NoError(t, err)
	assert.Empty(t, rec.Opened)

	// 2: a new analysis while open adds evidence, opens nothing
	res2, err := idle.Run(ctx, s, day("2026-02-15"), 3600)
	require.NoError(t, err)
	rec, err = idle.Record(ctx, s, res2.Analysis, time.Now())
	require.NoError(t, err)
	assert.Empty(t, rec.Opened, "not opened twice while one is open")
	assert.Equal(t, 2, rec.Evidence)
	ev, err := s.Evidence(ctx, c2.ID)
	require.NoError(t, err)
	require.Len(t, ev, 2)
	assert.Equal(t, "2026-01-31", ev[0].Analysis.String())
	assert.Equal(t, 30, ev[0].Rows[0].Days, "the first evidence is frozen (window 01-02 … 01-31)")
	assert.Equal(t, "2026-02-15", ev[1].Analysis.String())
	assert.Equal(t, 15, ev[1].Rows[0].Days)

	// 3: O1 reduced before the deadline
	importOrders(t, s, "change.csv", "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id\n"+
		"O1,change,2026-02-20,D1,P1,V1,extranet,C01,2,ecs-1\n")
	changed, err := idle.FollowUp(ctx, s, s, day("2026-02-21"), time.Now())
	require.NoError(t, err)
	require.Len(t, changed, 1)
	c1 = caseByID(t, s, "20260131-D1-vcpu")
	assert.Equal(t, idle.StateResolved, c1.State)
	assert.Equal(t, "2026-02-20", c1.StateOn.String())
	changed, err = idle.FollowUp(ctx, s, s, day("2026-02-28"), time.Now())
	require.NoError(t, err)
	assert.Empty(t, changed, "D2's case is open until its deadline")
	changed, err = idle.FollowUp(ctx, s, s, day("2026-03-01"), time.Now())
	require.NoError(t, err)
	require.Len(t, changed, 1)
	c2 = caseByID(t, s, "20260131-D2-memory")
	assert.Equal(t, idle.StateOverdue, c2.State)
	assert.Equal(t, "2026-03-01", c2.StateOn.String())

	// 4: the bureau's list, as a work-order event file the order import takes
	events, err := idle.EventsByOrder(ctx, s)
	require.NoError(t, err)
	cases, err := s.Cases(ctx)
	require.NoError(t, err)
	reqs := idle.ChangeRequests(cases, day("2026-03-01"), events)
	var out bytes.Buffer
	require.NoError(t, idle.WriteChangeRequests(&out, reqs))
	assert.Equal(t, "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,portion,x_case_id,x_deadline,x_current_quantity\n"+
		"O2,change,2026-03-01,D2,P1,V1,internet,C02,22,ecs-2,,20260131-D2-memory,2026-02-28,64\n", out.String())
	importOrders(t, s, "downsizing.csv", out.String())
	events, err = idle.EventsByOrder(ctx, s)
	require.NoError(t, err)
	assert.Empty(t, idle.ChangeRequests(cases, day("2026-03-01"), events), "applied: nothing left on the list")
	assert.Equal(t, idle.StateOverdue, caseByID(t, s, "20260131-D2-memory").State, "overdue stays overdue")

	// a new analysis after the end of a case opens a new one if still over
	hourlySamples(t, s, "ecs-1", "cpu_util", day("2026-02-01"), day("2026-03-02"), 10)
	res3, err := idle.Run(ctx, s, day("2026-03-02"), 3600)
	require.NoError(t, err)
	rec, err = idle.Record(ctx, s, res3.Analysis, time.Now())
	require.NoError(t, err)
	// O1 is now 2 vCPU: 8 … 03-02 its p95 capacity used is 1.6 on 16 before 02-20 and 0.2 on
	// 2 after (10% of 2): p95 over the window 1.6, capped at 2 → used 1.6, idle 0.2: not over
	for _, c := range rec.Opened {
		assert.NotEqual(t, catalog.DepartmentID("D1"), c.Department)
	}
}

// TestLeapFebruary: reminders of 2028-01-31 are due 2028-02-29. O4 (D3) is reduced on the
// deadline itself. O4, O5 (D3): 8 vCPU each at 10%: used 0.8 each, idle 0.9; each → ≥ 0.8 ÷
// 0.8 = 1: 1, target 2. O4 → 1 on 02-29 leaves 1 + 8 = 9 > 2: still open on 02-29; O5 → 1
// on 02-29 too (imported on 03-02): 2 ≤ 2, resolved on 02-29, the deadline.
func TestLeapFebruary(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	importCSV(t, s)
	hourlySamples(t, s, "ecs-4", "cpu_util", day("2028-01-01"), day("2028-01-31"), 10)
	hourlySamples(t, s, "ecs-5", "cpu_util", day("2028-01-01"), day("2028-01-31"), 10)
	res, err := idle.Run(ctx, s, day("2028-01-31"), 3600)
	require.NoError(t, err)
	rec, err := idle.Record(ctx, s, res.Analysis, time.Now())
	require.NoError(t, err)
	require.Len(t, rec.Opened, 1)
	c := rec.Opened[0]
	assert.Equal(t, "2028-02-29", c.Deadline.String())
	assert.Equal(t, "2", c.Target.String())

	importOrders(t, s, "o4.csv", "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id\n"+
		"O4,change,2028-02-29,D3,P3,V1,extranet,C01,1,ecs-4\n")
	_, err = idle.FollowUp(ctx, s, s, day("2028-02-29"), time.Now())
	require.NoError(t, err)
	assert.Equal(t, idle.StateOpen, caseByID(t, s, string(c.ID)).State, "9 vCPU left, target 2")
	importOrders(t, s, "o5.csv", "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id\n"+
		"O5,change,2028-02-29,D3,P3,V1,extranet,C01,1,ecs-5\n")
	// imported late (on 03-02), but confirmed on the deadline: resolved on 02-29
	_, err = idle.FollowUp(ctx, s, s, day("2028-03-02"), time.Now())
	require.NoError(t, err)
	got := caseByID(t, s, string(c.ID))
	assert.Equal(t, idle.StateResolved, got.State)
	assert.Equal(t, "2028-02-29", got.StateOn.String())
}

// TestBadSamplesExcluded: values above 100 and below 0 stored anyway (the store is not
// trusted) are counted and reported, never used. ecs-1 at 10% every hour of January, plus
// one sample of 400 at minute 30 and one of −5 at minute 45 each day. The window of
// 01-31 is 01-02 … 01-31 (30 days): 30 × 24 = 720 valid samples, p95 10, 60 excluded.
func TestBadSamplesExcluded(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	importCSV(t, s)
	hourlySamples(t, s, "ecs-1", "cpu_util", day("2026-01-01"), day("2026-01-31"), 10)
	var b metering.Batch
	for d := day("2026-01-01"); !d.After(day("2026-01-31")); d = d.AddDays(1) {
		b.Append(metering.Sample{ResourceID: "ecs-1", Metric: "cpu_util", TS: d.Start().Add(30 * time.Minute), Value: 400})
		b.Append(metering.Sample{ResourceID: "ecs-1", Metric: "cpu_util", TS: d.Start().Add(45 * time.Minute), Value: -5})
	}
	require.NoError(t, s.InsertSamples(ctx, &b))
	res, err := idle.Run(ctx, s, day("2026-01-31"), 3600)
	require.NoError(t, err)
	assert.Equal(t, 60, res.Excluded)
	var r idle.Row
	for _, x := range res.Rows {
		if x.Order == "O1" {
			r = x
		}
	}
	assert.Equal(t, 60, r.Excluded)
	assert.Equal(t, 30*24, r.Samples)
	assert.Equal(t, "10", r.P95Util.String())
	var table bytes.Buffer
	require.NoError(t, idle.WriteTable(&table, res))
	assert.Contains(t, table.String(), "samples excluded (outside 0–100): 60")
}

// receiver is a webhook endpoint that can be down (connection refused: nothing listens),
// answer a status, or take the event.
type receiver struct {
	mu       sync.Mutex
	status   int
	got      []string // bodies taken
	requests int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	b, _ := io.ReadAll(req.Body)
	if r.status != 0 {
		w.WriteHeader(r.status)
		return
	}
	r.got = append(r.got, req.Header.Get("Idempotency-Key")+" "+string(b))
	w.WriteHeader(http.StatusAccepted)
}

func TestWebhook(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	importCSV(t, s)
	hourlySamples(t, s, "ecs-1", "cpu_util", day("2026-01-01"), day("2026-01-31"), 10)
	res, err := idle.Run(ctx, s, day("2026-01-31"), 3600)
	require.NoError(t, err)
	_, err = idle.Record(ctx, s, res.Analysis, time.Now())
	require.NoError(t, err)

	t.Run("down, then up: delivered once, every attempt recorded", func(t *testing.T) {
		// a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		wh := idle.Webhook{URL: "http://" + addr + "/hook", Tries: 2, Backoff: time.Millisecond}
		rep, err := wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{Waiting: 1}, rep)

		rcv := &receiver{}
		l, err = net.Listen("tcp", addr)
		require.NoError(t, err)
		srv := &http.Server{Handler: rcv}
		go srv.Serve(l)
		defer srv.Close()
		rep, err = wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{Delivered: 1}, rep)
		rep, err = wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{}, rep, "delivered: never sent again")
		require.Len(t, rcv.got, 1)
		assert.Contains(t, rcv.got[0], "20260131-D1-vcpu/0 ")
		assert.Contains(t, rcv.got[0], `"event":"idle.case.open"`)
		assert.Contains(t, rcv.got[0], `"recommended_quantity":"2"`)
		assert.Contains(t, rcv.got[0], `"monthly_saving":"560.00"`)

		ds, err := s.Deliveries(ctx, "20260131-D1-vcpu")
		require.NoError(t, err)
		var outcomes []string
		for _, d := range ds {
			outcomes = append(outcomes, fmt.Sprintf("%d:%s", d.Attempt, d.Outcome))
		}
		assert.Equal(t, []string{"1:retry", "2:retry", "3:delivered"}, outcomes)
	})

	t.Run("a 4xx is not retried", func(t *testing.T) {
		// the case becomes overdue: a new event to deliver, which the receiver refuses
		_, err := idle.FollowUp(ctx, s, s, day("2026-03-01"), time.Now())
		require.NoError(t, err)
		rcv := &receiver{status: http.StatusUnprocessableEntity}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		wh := idle.Webhook{URL: srv.URL, Tries: 3, Backoff: time.Millisecond}
		rep, err := wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{Rejected: 1}, rep)
		rep, err = wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{}, rep)
		assert.Equal(t, 1, rcv.requests, "one attempt, never again")
	})

	t.Run("a 503 is retried until MaxAttempts, then given up", func(t *testing.T) {
		_, err := idle.FollowUp(ctx, s, s, day("2026-03-01"), time.Now()) // nothing new
		require.NoError(t, err)
		// a third department event: open a case for D2 (memory) by hand-made samples
		hourlySamples(t, s, "ecs-2", "mem_util", day("2026-01-01"), day("2026-01-31"), 5)
		res, err := idle.Run(ctx, s, day("2026-01-31"), 3600)
		require.NoError(t, err)
		_, err = idle.Record(ctx, s, res.Analysis, time.Now())
		require.NoError(t, err)
		rcv := &receiver{status: http.StatusServiceUnavailable}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		wh := idle.Webhook{URL: srv.URL, Tries: 2, Backoff: time.Millisecond, MaxAttempts: 3}
		rep, err := wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{Waiting: 1}, rep)
		rep, err = wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{GaveUp: 1}, rep)
		rep, err = wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{}, rep)
		assert.Equal(t, 3, rcv.requests)
	})
}

// TestReminderPDF: the reminder of TestLifecycle's unit D2 as a PDF page, read back with
// pdftotext (poppler-utils): to whom, its 主管部门 copied, why (§12), what, by when, the
// saving.
func TestReminderPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed: make deps")
	}
	s := chtest.New(t)
	ctx := context.Background()
	importCSV(t, s)
	hourlySamples(t, s, "ecs-2", "mem_util", day("2026-01-01"), day("2026-01-31"), 25)
	res, err := idle.Run(ctx, s, day("2026-01-31"), 3600)
	require.NoError(t, err)
	rec, err := idle.Record(ctx, s, res.Analysis, time.Now())
	require.NoError(t, err)
	org, err := s.Org(ctx)
	require.NoError(t, err)
	rs := idle.Reminders(rec.Opened, org, func(id idle.CaseID) (idle.Evidence, bool) {
		es, err := s.Evidence(ctx, id)
		require.NoError(t, err)
		return es[0], len(es) > 0
	})
	require.Len(t, rs, 1)
	font, err := pdf.LoadFont("")
	require.NoError(t, err)
	b, err := pdf.Render(font, rs[0].Doc(day("2026-01-31").Start()))
	require.NoError(t, err)
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(b)
	txt, err := cmd.Output()
	require.NoError(t, err)
	text := strings.Join(strings.Fields(string(txt)), " ")
	for _, want := range []string{"闲置云资源调减提醒", "致 区财政局 国库支付中心（D2）", "抄送主管部门 区财政局（D1）", "调减期限 2026年2月28日前",
		"第十二条", "内存（提醒编号 20260131-D2-memory）", "闲置比例 75.0%", "冗余比例 25.0%", "O2 ecs-2 C02 互联网 64 25.0% 16.00 22 630.00", "每月可节约 630.00 元"} {
		assert.Contains(t, text, want)
	}
	var c bytes.Buffer
	require.NoError(t, idle.WriteReminderCSV(&c, rs[0]))
	assert.Equal(t, "case_id,department_id,parent_department_id,kind,reminder_date,deadline,order_id,resource_id,item_code,zone,allocated,p95_util,used,recommended_quantity,monthly_saving\n"+
		"20260131-D2-memory,D2,D1,memory,2026-01-31,2026-02-28,O2,ecs-2,C02,internet,64,25,16,22,630.00\n", c.String())
}

// TestWebhookNoRedirectNoStoredCredentials: a 307 to another port (another origin) is not
// followed: the event and its body never reach it, and the attempt is rejected, not
// delivered. A URL written with credentials (http://user:password@host/) is stored,
// listed and logged without them; they are sent as HTTP basic authentication.
func TestWebhookNoRedirectNoStoredCredentials(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	importCSV(t, s)
	hourlySamples(t, s, "ecs-1", "cpu_util", day("2026-01-01"), day("2026-01-31"), 10)
	res, err := idle.Run(ctx, s, day("2026-01-31"), 3600)
	require.NoError(t, err)
	_, err = idle.Record(ctx, s, res.Analysis, time.Now())
	require.NoError(t, err)

	t.Run("a 307 to another port is not followed", func(t *testing.T) {
		other := &receiver{}
		elsewhere := httptest.NewServer(other)
		defer elsewhere.Close()
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
		}))
		defer redirect.Close()
		wh := idle.Webhook{URL: redirect.URL + "/hook", Tries: 2, Backoff: time.Millisecond}
		rep, err := wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{Rejected: 1}, rep, "a redirect is not a delivery")
		assert.Zero(t, other.requests, "the other origin got nothing")
		ds, err := s.Deliveries(ctx, "")
		require.NoError(t, err)
		require.Len(t, ds, 1)
		assert.Equal(t, idle.Rejected, ds[0].Outcome)
		assert.Equal(t, http.StatusTemporaryRedirect, ds[0].StatusCode)
		assert.Contains(t, ds[0].Error, "not followed")
	})

	t.Run("credentials in the URL are not stored", func(t *testing.T) {
		// a second case (memory of D2) gives a new event
		hourlySamples(t, s, "ecs-2", "mem_util", day("2026-01-01"), day("2026-01-31"), 5)
		res, err := idle.Run(ctx, s, day("2026-01-31"), 3600)
		require.NoError(t, err)
		_, err = idle.Record(ctx, s, res.Analysis, time.Now())
		require.NoError(t, err)
		var auth []string
		rcv := &receiver{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, pw, _ := r.BasicAuth()
			auth = append(auth, user+":"+pw)
			rcv.ServeHTTP(w, r)
		}))
		defer srv.Close()
		wh := idle.Webhook{URL: strings.Replace(srv.URL, "http://", "http://user:password@", 1) + "/hook", Tries: 1}
		rep, err := wh.Deliver(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, idle.DeliverReport{Delivered: 1}, rep)
		assert.Equal(t, []string{"user:password"}, auth, "sent as basic authentication")
		ds, err := s.Deliveries(ctx, "")
		require.NoError(t, err)
		require.NotEmpty(t, ds)
		for _, d := range ds {
			assert.NotContains(t, d.URL, "password", "stored URL")
			assert.NotContains(t, d.URL, "user@", "stored URL")
			assert.NotContains(t, d.Error, "password")
		}
		assert.Equal(t, srv.URL+"/hook", ds[len(ds)-1].URL)
	})

	t.Run("rows of earlier releases are listed without credentials", func(t *testing.T) {
		b, err := chtest.Conn(t, s).PrepareBatch(ctx, "INSERT INTO idle_webhook_deliveries (case_id, seq, event, url, attempt, attempted_at, status_code, outcome, error)")
		require.NoError(t, err)
		require.NoError(t, b.Append("old-case", uint32(0), "idle.case.open", "http://user:password@mcm.example/hook", uint32(1), time.Now().UTC(), uint16(200), "delivered", ""))
		require.NoError(t, b.Send())
		ds, err := s.Deliveries(ctx, "old-case")
		require.NoError(t, err)
		require.Len(t, ds, 1)
		assert.Equal(t, "http://mcm.example/hook", ds[0].URL)
	})
}
