package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"cloudbill/internal/chserver"
	netlisten "cloudbill/internal/listen"
	"cloudbill/internal/memguard"
	"cloudbill/metering"
	"cloudbill/metering/drop"
)

const serveExplain = `
Runs the ingest API, the portal and the scheduler until SIGTERM or SIGINT. The scheduler
is one: the month's rating and close, the idle jobs and the backup are its named jobs,
each run recorded in job_runs (docs/close.md).

  POST /v1/samples   Content-Type application/x-ndjson (one JSON object a line) or
                     text/csv (header row first); answers, once the valid samples are
                     durable, 200 {"accepted": N, "duplicates": D, "rejected": [{"line": L,
                     "error": "…"}]}; 413 past --max-body; 415 for another content type;
                     503 when the samples could be neither stored nor spooled (send again),
                     or, with Retry-After, when taking the request would bring serve near
                     --memory-limit (an invoice upload of the portal likewise).
                     Needs Authorization: Bearer <collector token> (cloudbill tokens
                     create --vendor ID; 401 without a valid one); lines of another vendor's
                     source or resource are rejected, resources no order names yet counted
                     as "unassigned". Per token: --rate-limit requests a second (429 with
                     Retry-After), --per-token requests at once (429); per vendor, all its
                     tokens together: --vendor-rate-limit and --per-vendor (the same by
                     default, so two tokens do not give a vendor twice the share); a body slower than
                     --min-body-rate after 10 s is cut off (408). --no-auth: loopback only.
  GET  /healthz      200 {"status": "ok"|"degraded", "clickhouse": "up"|"down", "spooled_batches": N,
                     "ingest": {"in_progress", "slots", "waiting", "saturated",
                     "slow_bodies_closed", "throttled"} (saturated: every slot taken and
                     requests waiting; status degraded), and with the embedded ClickHouse
                     "clickhouse_restarts": N, "clickhouse_last_restart": time}
  GET  /metrics      on the listener of --metrics-listen ADDR (none by default), and on
                     this one with --metrics-on-listen: cloudbill's health for Prometheus
                     (docs/metrics.md); beyond loopback only with --tls-cert/--tls-key or a
                     token (--metrics-token-file F or $CLOUDBILL_METRICS_TOKEN; scrapes send
                     Authorization: Bearer); on this listener beyond loopback a token always.
  --config F         reads the flags from a YAML file (docs/configuration.md); flags given
                     on the command line override it; 'cloudbill config check F' checks it.
  --collect-config F pulls the vendor's Prometheus windows on their schedule (cloudbill
                     collect --help, docs/collectors.md).
  /                  the portal (sign-in, overview, drill-down, statements, settlement,
                     invoices, months and close, audit) and its JSON API under /api/v1/
                     (docs/portal.md); accounts: cloudbill users

Idle resources (docs/idle.md): on the 1st of every month (--idle-schedule) the analysis of
the previous month's last day opens the cases; every day (--idle-follow-schedule) the open
cases are followed to resolved or overdue; both are recorded in job_runs (idle-analyze,
idle-follow) and caught up on start; with --idle-webhook the case events are then posted.

Without --tls-cert/--tls-key serve listens only on a loopback address, unless
--behind-tls-proxy says that TLS ends in front of it.

Samples are gathered into large batches (flushed at --batch samples or --flush after the
first). When ClickHouse cannot take a batch it is written, fsync'd, to the spool in
--data-dir/spool before any sender gets its 200, and replayed in order when ClickHouse
answers again. The embedded ClickHouse (no --clickhouse) is supervised: when its process
dies serve starts it again on the same port (back-off from 1 s to 1 min between failed
attempts), logs each restart and counts it in /healthz. Its log (--log-format text|json) goes to standard error or --log-file, which SIGHUP reopens
(logrotate; docs/install.md). With --backup-dir it takes a backup on --backup-schedule and
keeps --backup-keep of them (docs/backup.md). On SIGTERM serve stops taking
requests, answers those in progress once their samples are durable, flushes and exits:
nothing acknowledged is lost.`

func serveCommand() *command {
	return &command{
		Name:  "serve",
		Usage: "[--config FILE] [--listen ADDR] [--max-body BYTES] [--memory-limit MIB] [--batch N] [--flush DURATION] [schedule flags]",
		Short: "run the ingest API and the scheduler",
		Long:  serveExplain,
		Flags: func(fs *flagSet) runFunc {
			p := &serveParams{}
			p.addFlags(fs)
			return func(ctx context.Context, a *app, _ []string) error {
				if err := p.load(a, fs); err != nil {
					return err
				}
				return runServe(ctx, a, *p)
			}
		},
	}
}

// addFlags declares serve's flags on fs; each is also a key of the configuration file
// (docs/configuration.md).
func (p *serveParams) addFlags(fs *flagSet) {
	fs.StringVar(&p.ConfigFile, "config", "", "configuration `file` (YAML; docs/configuration.md): every flag of serve is a key; flags given here override it")
	fs.StringVar(&p.Listen, "listen", "127.0.0.1:8080", "`address` of the HTTP API")
	fs.Int64Var(&p.MaxBody, "max-body", 64<<20, "largest request body taken, in `bytes` (larger: 413)")
	p.Ranges = fs.MetricMax()
	fs.Int64Var(&p.MemoryLimit, "memory-limit", 1024, "soft memory limit of the process, in `MiB` (the Go runtime's, as GOMEMLIMIT, which wins when set): sample requests and invoice uploads that would bring serve near it are answered 503 with Retry-After; 0: none")
	fs.IntVar(&p.BatchRows, "batch", 100_000, "samples per insert")
	fs.DurationVar(&p.Flush, "flush", 200*time.Millisecond, "longest wait before a batch is written")
	scheduleFlags(fs, &p.Schedule)
	fs.BoolVar(&p.NoAuth, "no-auth", false, "take samples without a collector token (only with a loopback --listen address; local tests)")
	fs.Float64Var(&p.RateLimit, "rate-limit", 200, "requests a `second` one collector token may send to /v1/samples (over it: 429 with Retry-After); 0: no limit")
	fs.IntVar(&p.PerToken, "per-token", 8, "requests of one collector token read at once (of 16; over it: 429)")
	fs.Float64Var(&p.VendorRateLimit, "vendor-rate-limit", 0, "requests a `second` all the collector tokens of one vendor together may send (over it: 429 with Retry-After); 0: --rate-limit")
	fs.IntVar(&p.PerVendor, "per-vendor", 0, "requests of all the collector tokens of one vendor together read at once (of 16; over it: 429); 0: --per-token")
	fs.IntVar(&p.MinBodyRate, "min-body-rate", 16<<10, "slowest request body taken, in `bytes` a second after a 10 s grace (slower: 408, connection closed)")
	fs.StringVar(&p.DropDir, "drop-dir", "", "drop `folder`: sample files put in DIR/<vendor id>/ are ingested as that vendor's, then moved to DIR/done/ or DIR/rejected/ with their report (docs/collectors.md)")
	fs.BoolVar(&p.DropMarker, "drop-marker", false, "take a file of the drop folder only once FILE.done exists beside it (default: any file renamed into place)")
	fs.DurationVar(&p.DropEvery, "drop-every", 2*time.Second, "how often the drop folder is looked at")
	idleServeFlags(fs, &p.Idle)
	fs.Var(&p.CollectConfigs, "collect-config", "collector configuration `file` of a vendor's Prometheus (repeat for several; docs/collectors.md): its windows are pulled on their schedule")
	p.Listener.AddFlags(fs.FlagSet)
	metricsFlags(fs, &p.Metrics)
	backupServeFlags(fs, &p.Backup)
	logFlags(fs, &p.Log)
}

// load completes p after its flags are parsed: the configuration file (for the flags
// and global flags not given on the command line), then the checks of the whole.
func (p *serveParams) load(a *app, fs *flagSet) error {
	if p.ConfigFile != "" {
		if err := applyServeConfig(a, fs, p); err != nil {
			return err
		}
	}
	p.Listener.Addr = p.Listen
	if err := p.Listener.Validate(); err != nil {
		return usagef("serve: %v", err)
	}
	if p.NoAuth && !netlisten.IsLoopback(p.Listen) {
		return usagef("serve: --no-auth only with a loopback --listen address (127.0.0.1:PORT): samples from the network need a collector token")
	}
	if err := p.Metrics.validate(p.Listener); err != nil {
		return usagef("serve: %v", err)
	}
	if err := p.Backup.validate(); err != nil {
		return usagef("serve: %v", err)
	}
	return nil
}

// serveParams is serve's configuration, from its flags.
type serveParams struct {
	ConfigFile string // --config: the configuration file ("" none)
	Listen     string
	MaxBody    int64
	// MemoryLimit is the soft memory limit in MiB (0: none); see memguard.
	MemoryLimit int64
	BatchRows   int
	Flush       time.Duration
	Schedule    scheduleSettings
	Idle        idleSettings     // the idle-resource jobs
	Ranges      *metering.Ranges // ceilings of the metrics' values
	// CollectConfigs are the vendors' Prometheus collector configurations pulled on
	// their schedule.
	CollectConfigs repeated
	// DropDir is the drop folder ("" none); DropMarker takes only files with a .done
	// marker; DropEvery is how often it is scanned.
	DropDir    string
	DropMarker bool
	DropEvery  time.Duration
	// NoAuth takes samples without a collector token (loopback only).
	NoAuth bool
	// VendorRateLimit and PerVendor are RateLimit and PerToken for all of a vendor's
	// tokens together (0: as per token).
	VendorRateLimit float64
	PerVendor       int
	// RateLimit (requests a second), PerToken (requests at once) per collector token;
	// MinBodyRate is the slowest body taken (bytes a second).
	RateLimit   float64
	PerToken    int
	MinBodyRate int
	Listener    netlisten.Config // TLS, and who may listen beyond loopback
	Metrics     metricsSettings  // the /metrics listener
	Backup      backupSettings   // scheduled backups
	Log         logSettings      // serve's log: format and file
}

// batchGC sets the garbage collector for a stream of batches, unless GOGC or GOMEMLIMIT
// says otherwise: the batches in flight make the heap, so let it grow to a fixed limit
// before collecting instead of collecting each time it doubles. The returned function
// restores the settings (ingest may run inside another command: demo).
func batchGC(percent int, limit int64) (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" || os.Getenv("GOGC") != "" {
		return func() {}
	}
	oldPercent := debug.SetGCPercent(percent)
	oldLimit := debug.SetMemoryLimit(limit)
	return func() {
		debug.SetMemoryLimit(oldLimit)
		debug.SetGCPercent(oldPercent)
	}
}

func runServe(ctx context.Context, a *app, p serveParams) error {
	limit := p.MemoryLimit << 20
	if os.Getenv("GOMEMLIMIT") != "" {
		limit = debug.SetMemoryLimit(-1) // the environment's limit wins
	} else if limit <= 0 {
		limit = 0 // no limit, no shedding
	}
	if limit > 0 {
		defer batchGC(400, limit)()
	} else {
		defer batchGC(400, math.MaxInt64)()
	}
	guard := memguard.New(limit)
	collectCfgs, err := readCollectConfigs(p.CollectConfigs)
	if err != nil {
		return err
	}
	var lf *logFile
	if p.Log.file != "" {
		if lf, err = openLogFile(p.Log.file); err != nil {
			return usagef("serve: %v", err)
		}
		defer lf.Close()
		a.stderr = lf // the embedded ClickHouse's messages too
	}
	log := newServeLog(a.stderr, p.Log.format)
	a.log = log
	defer watchHUP(lf, log)()
	store, err := a.Store(ctx)
	if err != nil {
		return err
	}
	spool, err := metering.OpenSpool(filepath.Join(a.dataDir, "spool"))
	if err != nil {
		return err
	}
	logf := func(f string, args ...any) { log.Info(fmt.Sprintf(f, args...), "component", "serve") }
	sup := chserver.Supervise(ctx, a.server, logf) // restarts the embedded server if it dies
	m := newMetrics(store, spool, sup, a.now)
	b, err := metering.NewBatcher(metering.BatcherConfig{Sink: store, Spool: spool, MaxRows: p.BatchRows, MaxDelay: p.Flush, Linger: 20 * time.Millisecond, Logf: logf})
	if err != nil {
		return err
	}
	hc := metering.HandlerConfig{Batcher: b, MaxBody: p.MaxBody, Ranges: p.Ranges, RatePerClient: p.RateLimit, PerClient: p.PerToken, RatePerVendor: p.VendorRateLimit, PerVendor: p.PerVendor, MinRate: float64(p.MinBodyRate),
		Observe: func(vendor string, ans metering.Answer) {
			m.Ingest(vendor, "http", ans.Accepted, ans.Duplicates, ans.RejectedCount)
		}}
	if !p.NoAuth {
		if hc.Authenticate, err = a.collectorAuth(ctx); err != nil {
			return err
		}
		hc.Owners = store.ResourceOwners
	}
	h, err := metering.NewHandler(hc)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	// shed before the memory limit nears: a sample request reserves its body's size while
	// it runs, an invoice upload 8 times its size (a workbook is unpacked and read)
	mux.Handle("/v1/samples", guard.Handler(h, memguard.Policy{
		Match:  func(r *http.Request) bool { return r.Method == http.MethodPost },
		Factor: 1, Max: p.MaxBody, RetryAfter: 5,
		Refuse: func(w http.ResponseWriter, _ *http.Request, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
		}}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		ans := map[string]any{"status": "ok", "clickhouse": "up"}
		if err := store.Ping(pctx); err != nil {
			ans["status"], ans["clickhouse"] = "degraded", "down"
		}
		files, _ := spool.Files()
		ans["spooled_batches"] = len(files)
		sat := h.Saturation()
		ans["ingest"] = map[string]any{"in_progress": sat.InProgress, "slots": sat.Slots, "waiting": sat.Waiting,
			"saturated": sat.Saturated, "slow_bodies_closed": sat.SlowClosed, "throttled": sat.Throttled}
		if sat.Saturated {
			ans["status"] = "degraded"
		}
		if limit > 0 {
			ans["memory"] = guard.Stats()
		}
		if sup != nil {
			st := sup.Stats()
			ans["clickhouse_restarts"] = st.Restarts
			if !st.LastRestart.IsZero() {
				ans["clickhouse_last_restart"] = st.LastRestart.UTC().Format(time.RFC3339)
			}
			if st.LastError != "" {
				ans["clickhouse_restart_error"] = st.LastError
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ans)
	})
	if err := handleOnListen(p.Metrics, mux, m); err != nil {
		_ = b.Close(context.Background())
		return err
	}
	ph, err := a.portalHandler(ctx, store, p.Listener.Secure(), logf, m.Audit)
	if err != nil {
		_ = b.Close(context.Background())
		return err
	}
	mux.Handle("/", m.Portal(guard.Handler(ph, memguard.Policy{
		Match: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invoice")
		},
		Factor: 8, Max: 10 << 20, RetryAfter: 10,
		Refuse: func(w http.ResponseWriter, _ *http.Request, _ string) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "服务器繁忙：现在受理此上传会使内存接近上限（%d MiB），请 10 秒后重新上传。\n", limit>>20)
		}})))
	ln, err := p.Listener.Listen()
	if err != nil {
		_ = b.Close(context.Background())
		return fmt.Errorf("serve: %w", err)
	}
	collectors, err := collectorJobs(ctx, a, store, b, collectCfgs, logf)
	if err != nil {
		ln.Close()
		_ = b.Close(context.Background())
		return fmt.Errorf("serve: collectors: %w", err)
	}
	sched, err := startScheduler(ctx, a, jobSettings{Schedule: p.Schedule, Idle: p.Idle, Backup: p.Backup, Collectors: collectors}, log)
	if err != nil {
		ln.Close()
		_ = b.Close(context.Background())
		return fmt.Errorf("serve: scheduler: %w", err)
	}
	defer sched.Stop() // (twice is harmless)
	stopDrop := func() {}
	if p.DropDir != "" {
		if err := os.MkdirAll(p.DropDir, 0o755); err != nil {
			return fmt.Errorf("serve: --drop-dir: %w", err)
		}
		d, err := drop.New(drop.Config{Dir: p.DropDir, Marker: p.DropMarker, Batcher: b, BatchRows: p.BatchRows, Ranges: p.Ranges,
			Owners: store.ResourceOwners, VendorOK: store.VendorExists, Now: a.now, Logf: logf,
			Observe: func(vendor string, acc, dup, rej int) { m.Ingest(vendor, "drop", acc, dup, rej) }})
		if err != nil {
			return fmt.Errorf("serve: --drop-dir: %w", err)
		}
		dctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); d.Run(dctx, p.DropEvery) }()
		stopDrop = func() { cancel(); <-done }
		logf("drop folder %s: files in %s/<vendor id>/ are ingested", p.DropDir, p.DropDir)
	}
	defer stopDrop()
	if p.Backup.dir != "" {
		logf("backups into %s on %q, keeping %d", p.Backup.dir, p.Backup.spec, p.Backup.keep)
	}
	stopMetrics, err := startMetrics(p.Metrics, p.Listener, m, logf)
	if err != nil {
		ln.Close()
		_ = b.Close(context.Background())
		return fmt.Errorf("serve: %w", err)
	}
	defer stopMetrics()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(a.stdout, "cloudbill serve: listening on %s (spool %s)\n", p.Listener.URL(ln), spool.Dir())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	logf("stopping: answering requests in progress, flushing samples")
	sched.Stop() // the collectors' passes add samples: stopped before the batcher closes
	stopDrop()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logf("shutdown: %v", err)
	}
	if err := b.Close(sctx); err != nil {
		logf("flush: %v", err)
	}
	st := b.Stats()
	logf("stopped: %d samples stored, %d spooled, %d replayed; %d spool batches left", st.Stored, st.Spooled, st.Replayed, st.SpoolFiles)
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}
