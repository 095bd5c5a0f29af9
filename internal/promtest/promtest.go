// Package promtest runs a real Prometheus (Debian's `prometheus` package, /usr/bin/prometheus)
// on loopback for tests and benchmarks: data backfilled from OpenMetrics text with
// `promtool tsdb create-blocks-from openmetrics`, and optionally scraping live targets.
// The server can be stopped and started again on the same port and data (an outage).
package promtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Config says what the server holds and scrapes.
type Config struct {
	// Dir holds the configuration and the data (created if missing).
	Dir string
	// OpenMetrics, when set, is a file of OpenMetrics text (ending with "# EOF") backfilled
	// into the data before the server starts.
	OpenMetrics string
	// Targets are host:port of exporters scraped every ScrapeInterval (default 1s) as job
	// "exporter".
	Targets        []string
	ScrapeInterval time.Duration
}

// Server is a running (or stopped) Prometheus.
type Server struct {
	cfg  Config
	Addr string // host:port of the HTTP API
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// Binary is the Prometheus executable.
func Binary() (string, error) {
	for _, p := range []string{"/usr/bin/prometheus"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("prometheus")
	if err != nil {
		return "", errors.New("prometheus not installed (apt-get install prometheus; scripts/deps.sh does it)")
	}
	return p, nil
}

// Start backfills the data (if asked), writes the configuration and starts the server
// on a free loopback port; it returns once the server is ready.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.ScrapeInterval <= 0 {
		cfg.ScrapeInterval = time.Second
	}
	data := filepath.Join(cfg.Dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	if cfg.OpenMetrics != "" {
		out, err := exec.CommandContext(ctx, "promtool", "tsdb", "create-blocks-from", "openmetrics", cfg.OpenMetrics, data).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("promtool backfill: %v: %s", err, tail(out))
		}
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\nscrape_configs:\n", cfg.ScrapeInterval, cfg.ScrapeInterval)
	if len(cfg.Targets) > 0 {
		fmt.Fprintf(&conf, "  - job_name: exporter\n    static_configs:\n      - targets: [%s]\n", `"`+strings.Join(cfg.Targets, `", "`)+`"`)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, "prometheus.yml"), []byte(conf.String()), 0o644); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{cfg: cfg, Addr: addr}
	return s, s.Restart(ctx)
}

// URL is the base URL of the HTTP API.
func (s *Server) URL() string { return "http://" + s.Addr }

// Restart starts a stopped server again on the same port and data.
func (s *Server) Restart(ctx context.Context) error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(s.cfg.Dir, "prometheus.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin,
		"--config.file="+filepath.Join(s.cfg.Dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(s.cfg.Dir, "data"),
		"--storage.tsdb.retention.time=36500d",
		"--web.listen-address="+s.Addr,
		"--web.enable-lifecycle",
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start prometheus: %w", err)
	}
	s.cmd, s.log, s.done = cmd, log, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL() + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			b, _ := os.ReadFile(filepath.Join(s.cfg.Dir, "prometheus.log"))
			return fmt.Errorf("prometheus exited at start: %s", tail(b))
		case <-ctx.Done():
			s.Stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return errors.New("prometheus not ready after 60 s")
		}
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
	s.log.Close()
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}
