package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"cloudbill/access"
	"cloudbill/internal/calendar"
	"cloudbill/internal/chserver"
	netlisten "cloudbill/internal/listen"
	"cloudbill/internal/metrics"
	"cloudbill/metering"
	"cloudbill/metering/pull"
	"cloudbill/sql"
)

// metricsSettings are serve's /metrics listener (docs/metrics.md).
type metricsSettings struct {
	// Listen is host:port of the listener ("" none). Beyond loopback it needs TLS
	// (--tls-cert/--tls-key, used for it too) or a token.
	Listen string
	// TokenFile holds the bearer token a scrape must send; else $CLOUDBILL_METRICS_TOKEN.
	TokenFile string
	// OnListen serves /metrics on the main listener (--listen) too; beyond loopback only
	// with a token (the portal's listener is open to every clerk).
	OnListen bool
}

func metricsFlags(fs *flagSet, set *metricsSettings) {
	fs.StringVar(&set.Listen, "metrics-listen", "", "`address` of a listener of its own serving /metrics (Prometheus exposition format; docs/metrics.md), e.g. 127.0.0.1:9464; beyond loopback only with --tls-cert/--tls-key or a token; default none")
	fs.BoolVar(&set.OnListen, "metrics-on-listen", false, "serve /metrics on the main listener (--listen) too, at /metrics; beyond loopback only with a token (--metrics-token-file or $CLOUDBILL_METRICS_TOKEN)")
	fs.StringVar(&set.TokenFile, "metrics-token-file", "", "`file` whose first line is the token a scrape must send (Authorization: Bearer); else $CLOUDBILL_METRICS_TOKEN; none: no token asked")
}

// token reads the scrape token: the file's first line, else $CLOUDBILL_METRICS_TOKEN.
func (set metricsSettings) token() (string, error) {
	if set.TokenFile == "" {
		return strings.TrimSpace(os.Getenv("CLOUDBILL_METRICS_TOKEN")), nil
	}
	b, err := os.ReadFile(set.TokenFile)
	if err != nil {
		return "", fmt.Errorf("--metrics-token-file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	tok := strings.TrimSpace(line)
	if tok == "" {
		return "", fmt.Errorf("--metrics-token-file %s: empty", set.TokenFile)
	}
	return tok, nil
}

// validate holds the listener to the listen rule: beyond loopback only with TLS or a
// token.
func (set metricsSettings) validate(tls netlisten.Config) error {
	if set.OnListen {
		tok, err := set.token()
		if err != nil {
			return err
		}
		if !netlisten.IsLoopback(tls.Addr) && tok == "" {
			return fmt.Errorf("--metrics-on-listen: with listen %s: %w: give a token (--metrics-token-file or $CLOUDBILL_METRICS_TOKEN); the main listener is open to every clerk", tls.Addr, metrics.ErrNoToken)
		}
	}
	if set.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(set.Listen); err != nil {
		return fmt.Errorf("--metrics-listen %q: want host:port", set.Listen)
	}
	tok, err := set.token()
	if err != nil {
		return err
	}
	if !netlisten.IsLoopback(set.Listen) && !tls.TLS() && tok == "" {
		return fmt.Errorf("--metrics-listen %s: %w: give --tls-cert and --tls-key, or a token (--metrics-token-file or $CLOUDBILL_METRICS_TOKEN)", set.Listen, metrics.ErrNoToken)
	}
	return nil
}

// newMetrics makes serve's metrics over its parts.
func newMetrics(store *chstore.Store, spool *metering.Spool, sup *chserver.Supervisor, now func() time.Time) *metrics.Metrics {
	st := metrics.State{
		SpoolBatches: func() int { files, _ := spool.Files(); return len(files) },
		ClickHouseUp: func(ctx context.Context) bool {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return store.Ping(ctx) == nil
		},
		JobRuns: func(ctx context.Context) ([]metrics.JobRun, error) {
			runs, err := store.JobRuns(ctx, "")
			out := make([]metrics.JobRun, len(runs))
			for i, r := range runs {
				out[i] = metrics.JobRun{Job: r.Job, Status: string(r.Status), Finished: r.FinishedAt}
			}
			return out, err
		},
		Collection: func(ctx context.Context) ([]metrics.Window, error) {
			t := now()
			sts, err := pull.Completeness(ctx, store, calendar.LocalDate(t).Period(), t, "")
			out := make([]metrics.Window, len(sts))
			for i, s := range sts {
				out[i] = metrics.Window{Vendor: s.Vendor, Metric: s.Metric, Expected: s.Expected, Collected: s.Collected,
					Partial: s.Partial, Failed: s.Failed, Missing: s.Missing}
			}
			return out, err
		},
	}
	if sup != nil {
		st.ClickHouseRestarts = sup.Restarts
	}
	return metrics.New(st)
}

// handleOnListen adds /metrics to the main listener's mux when --metrics-on-listen says
// so (validate checked the token beyond loopback).
func handleOnListen(set metricsSettings, mux *http.ServeMux, m *metrics.Metrics) error {
	if !set.OnListen {
		return nil
	}
	tok, err := set.token()
	if err != nil {
		return err
	}
	mux.Handle("GET /metrics", m.Handler(tok))
	return nil
}

// startMetrics opens the /metrics listener (TLS beyond loopback when serve has a
// certificate) and serves until stop.
func startMetrics(set metricsSettings, tls netlisten.Config, m *metrics.Metrics, logf func(string, ...any)) (stop func(), err error) {
	if set.Listen == "" {
		return func() {}, nil
	}
	tok, err := set.token()
	if err != nil {
		return nil, err
	}
	lc := netlisten.Config{Addr: set.Listen, BehindTLSProxy: true} // the token or loopback was checked by validate
	if !netlisten.IsLoopback(set.Listen) && tls.TLS() {
		lc.CertFile, lc.KeyFile = tls.CertFile, tls.KeyFile
	}
	ln, err := lc.Listen()
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler(tok))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("metrics: %v", err)
		}
	}()
	auth := "no token"
	if tok != "" {
		auth = "bearer token"
	}
	logf("metrics on %s/metrics (%s)", lc.URL(ln), auth)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// countingAudit is the portal's audit store, telling each event to /metrics too.
type countingAudit struct {
	*chstore.Store
	count func(action string)
}

func (c countingAudit) AppendAudit(ctx context.Context, e access.Event) error {
	c.count(e.Action)
	return c.Store.AppendAudit(ctx, e)
}
