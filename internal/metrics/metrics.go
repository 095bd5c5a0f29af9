// Package metrics is cloudbill's own health in the Prometheus exposition format, served
// on /metrics by `cloudbill serve --metrics-listen ADDR` (docs/metrics.md names every
// series). It is an adapter: serve feeds it events (ingest answers, portal requests,
// audit events) and gives it functions that read the current state at scrape time
// (spool backlog, ClickHouse restarts, job runs, collection completeness).
package metrics

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// JobRun is one recorded run of a scheduled job, as the state function returns it.
type JobRun struct {
	Job, Status string
	Finished    time.Time
}

// Window counts the collection windows of one vendor's metric in the current month.
type Window struct {
	Vendor, Metric                                string
	Expected, Collected, Partial, Failed, Missing int
}

// State reads what is measured at scrape time; a nil function leaves its series out.
type State struct {
	// SpoolBatches is the number of batches waiting in the spool for ClickHouse.
	SpoolBatches func() int
	// ClickHouseRestarts is the restarts of the embedded ClickHouse since serve started
	// (nil with an external server).
	ClickHouseRestarts func() int
	// ClickHouseUp pings ClickHouse.
	ClickHouseUp func(ctx context.Context) bool
	// JobRuns reads the recorded job runs (table job_runs).
	JobRuns func(ctx context.Context) ([]JobRun, error)
	// Collection reads the completeness of the current month's collection.
	Collection func(ctx context.Context) ([]Window, error)
}

// Metrics holds cloudbill's series and serves them.
type Metrics struct {
	reg      *prometheus.Registry
	lines    *prometheus.CounterVec
	requests *prometheus.HistogramVec
	signin   *prometheus.CounterVec
}

// New makes the registry: Go runtime and process series, the event counters, and the
// state read at scrape time (each read bounded by 5 seconds).
func New(st State) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.lines = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudbill_ingest_lines_total",
		Help: "Sample lines taken in by serve, by vendor (\"\" without a collector token), channel (http, drop) and result (accepted, duplicate, rejected).",
	}, []string{"vendor", "channel", "result"})
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cloudbill_portal_request_duration_seconds",
		Help:    "Time to answer a portal request, by kind (page, api, asset) and HTTP status code.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"kind", "code"})
	m.signin = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudbill_signin_failures_total",
		Help: "Refused portal sign-ins, by reason (failed: wrong login, password or form; throttled: locked out after too many).",
	}, []string{"reason"})
	for _, r := range []string{"failed", "throttled"} {
		m.signin.WithLabelValues(r)
	}
	m.reg.MustRegister(m.lines, m.requests, m.signin,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&stateCollector{st: st})
	return m
}

// Ingest counts the lines of one ingest answer.
func (m *Metrics) Ingest(vendor, channel string, accepted, duplicates, rejected int) {
	m.lines.WithLabelValues(vendor, channel, "accepted").Add(float64(accepted))
	m.lines.WithLabelValues(vendor, channel, "duplicate").Add(float64(duplicates))
	m.lines.WithLabelValues(vendor, channel, "rejected").Add(float64(rejected))
}

// Audit counts an audit event: sign-in failures by their action.
func (m *Metrics) Audit(action string) {
	switch action {
	case "sign-in-failed":
		m.signin.WithLabelValues("failed").Inc()
	case "sign-in-throttled":
		m.signin.WithLabelValues("throttled").Inc()
	}
}

// Portal wraps the portal's handler to time its requests.
func (m *Metrics) Portal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.requests.WithLabelValues(requestKind(r.URL.Path), strconv.Itoa(sw.code)).Observe(time.Since(began).Seconds())
	})
}

func requestKind(path string) string {
	switch {
	case strings.HasPrefix(path, "/api/"):
		return "api"
	case strings.HasPrefix(path, "/static/"), strings.HasPrefix(path, "/assets/"), strings.HasSuffix(path, ".css"), strings.HasSuffix(path, ".js"), strings.HasSuffix(path, ".ico"):
		return "asset"
	}
	return "page"
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Handler serves /metrics. With a token, a request without `Authorization: Bearer
// <token>` is answered 401.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cloudbill metrics"`)
			http.Error(w, "metrics: Authorization: Bearer <token> needed", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

var (
	spoolDesc     = prometheus.NewDesc("cloudbill_spool_batches", "Batches of samples waiting in the spool for ClickHouse (fsync'd, replayed in order when it answers).", nil, nil)
	restartsDesc  = prometheus.NewDesc("cloudbill_clickhouse_restarts_total", "Restarts of the embedded ClickHouse by serve's supervisor since serve started.", nil, nil)
	upDesc        = prometheus.NewDesc("cloudbill_clickhouse_up", "1 when ClickHouse answers a ping, 0 when not.", nil, nil)
	jobRunsDesc   = prometheus.NewDesc("cloudbill_job_runs_total", "Recorded runs of scheduled jobs (table job_runs), by job_name (the job; Prometheus keeps the label job for the scrape job) and status (ok, failed).", []string{"job_name", "status"}, nil)
	jobLastDesc   = prometheus.NewDesc("cloudbill_job_last_finished_timestamp_seconds", "When the last run of a job with that status finished (Unix time).", []string{"job_name", "status"}, nil)
	windowsDesc   = prometheus.NewDesc("cloudbill_collect_windows", "Collection windows of the current month (Asia/Shanghai) per vendor and metric, by state: expected (due so far), collected, partial (collected with series dropped), failed, missing (expected - collected).", []string{"vendor", "metric", "state"}, nil)
	scrapeErrDesc = prometheus.NewDesc("cloudbill_metrics_read_errors", "1 when a part of the state could not be read for this scrape (part: jobs, collection).", []string{"part"}, nil)
)

// stateCollector reads State at scrape time.
type stateCollector struct{ st State }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{spoolDesc, restartsDesc, upDesc, jobRunsDesc, jobLastDesc, windowsDesc, scrapeErrDesc} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st := c.st
	if st.SpoolBatches != nil {
		ch <- prometheus.MustNewConstMetric(spoolDesc, prometheus.GaugeValue, float64(st.SpoolBatches()))
	}
	if st.ClickHouseRestarts != nil {
		ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(st.ClickHouseRestarts()))
	}
	if st.ClickHouseUp != nil {
		up := 0.0
		if st.ClickHouseUp(ctx) {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up)
	}
	readErr := func(part string, err error) {
		v := 0.0
		if err != nil {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, v, part)
	}
	if st.JobRuns != nil {
		runs, err := st.JobRuns(ctx)
		readErr("jobs", err)
		type key struct{ job, status string }
		count := map[key]int{}
		last := map[key]time.Time{}
		for _, r := range runs {
			k := key{r.Job, r.Status}
			count[k]++
			if r.Finished.After(last[k]) {
				last[k] = r.Finished
			}
		}
		for k, n := range count {
			ch <- prometheus.MustNewConstMetric(jobRunsDesc, prometheus.CounterValue, float64(n), k.job, k.status)
			ch <- prometheus.MustNewConstMetric(jobLastDesc, prometheus.GaugeValue, float64(last[k].Unix()), k.job, k.status)
		}
	}
	if st.Collection != nil {
		ws, err := st.Collection(ctx)
		readErr("collection", err)
		for _, w := range ws {
			for _, s := range []struct {
				state string
				n     int
			}{{"expected", w.Expected}, {"collected", w.Collected}, {"partial", w.Partial}, {"failed", w.Failed}, {"missing", w.Missing}} {
				ch <- prometheus.MustNewConstMetric(windowsDesc, prometheus.GaugeValue, float64(s.n), w.Vendor, w.Metric, s.state)
			}
		}
	}
}

// ErrNoToken: a metrics listener beyond loopback without TLS and without a token.
var ErrNoToken = errors.New("refusing to serve /metrics beyond loopback without TLS or a token")
