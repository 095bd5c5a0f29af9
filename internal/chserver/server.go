// Package chserver starts and stops the embedded local clickhouse-server that cloudbill
// uses when no ClickHouse address is configured.
//
// The server listens on loopback only, on a free port, with its data under its own
// directory. One data directory has at most one server: the process that starts it holds
// an exclusive lock on DIR/clickhouse.lock for the server's lifetime and writes the address
// to DIR/clickhouse.addr; a second process on the same directory finds the lock taken and
// attaches to the running server instead of starting another on the same files.
package chserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoBinary is returned when clickhouse-server is not installed.
var ErrNoBinary = errors.New("clickhouse-server is not installed (run `make deps`, or apt-get install clickhouse-server)")

// Config says where the embedded server keeps its files.
type Config struct {
	// Dir holds the server's data, logs, generated configuration, lock and address.
	Dir string
	// Binary is the clickhouse-server executable; default: found on PATH or /usr/sbin.
	Binary string
	// StartTimeout bounds the wait for the server to answer; default 60s.
	StartTimeout time.Duration
	// KillWithParent asks the kernel to kill the server when this process dies (tests).
	KillWithParent bool
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("chserver: empty data directory")
	}
	return nil
}

// Server is a running (or attached) embedded clickhouse-server.
type Server struct {
	// Addr is host:port of the native protocol.
	Addr string
	// Owned reports whether this process started the server (and stops it on Stop).
	Owned bool

	dir  string
	cfg  Config
	cmd  *exec.Cmd
	lock *os.File
	done chan error
}

// Start starts the server in cfg.Dir, or attaches to the one already running there.
// It returns when the server answers on its port.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"data", "tmp", "log", "user_files"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("embedded clickhouse: %w", err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(dir, "clickhouse.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("embedded clickhouse: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return attach(ctx, dir, cfg.StartTimeout)
	}
	s := &Server{dir: dir, cfg: cfg, lock: lock, Owned: true}
	if err := s.launch(ctx, 0); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

func attach(ctx context.Context, dir string, timeout time.Duration) (*Server, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "clickhouse.addr"))
		if err == nil && len(strings.TrimSpace(string(b))) > 0 {
			addr := strings.TrimSpace(string(b))
			if waitAnswer(ctx, addr, time.Until(deadline), nil) == nil {
				return &Server{Addr: addr, dir: dir}, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("embedded clickhouse in %s is locked by another cloudbill process but does not answer", dir)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// launch starts clickhouse-server on port (0: a free one) and waits for it to answer.
func (s *Server) launch(ctx context.Context, port int) error {
	bin := s.cfg.Binary
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("clickhouse-server"); err != nil {
			if _, err2 := os.Stat("/usr/sbin/clickhouse-server"); err2 != nil {
				return ErrNoBinary
			}
			bin = "/usr/sbin/clickhouse-server"
		}
	}
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return err
		}
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := writeConfig(s.dir, port); err != nil {
		return err
	}
	out, err := os.OpenFile(filepath.Join(s.dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if s.cfg.KillWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start clickhouse-server: %w", err)
	}
	s.cmd = cmd
	s.done = make(chan error, 1)
	go func() { s.done <- cmd.Wait(); out.Close() }()
	if err := waitAnswer(ctx, s.Addr, s.cfg.StartTimeout, s.done); err != nil {
		_ = s.kill()
		return fmt.Errorf("embedded clickhouse did not start (see %s): %w", filepath.Join(s.dir, "log"), err)
	}
	return os.WriteFile(filepath.Join(s.dir, "clickhouse.addr"), []byte(s.Addr+"\n"), 0o644)
}

// Stop stops a server this process started (SIGTERM, then SIGKILL after 30s) and
// releases the data directory. On an attached server it does nothing.
func (s *Server) Stop() error {
	if !s.Owned {
		return nil
	}
	defer s.release()
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.kill()
	}
	s.cmd = nil
	return nil
}

// Kill stops the server with SIGKILL, as a crash would. The directory stays locked, so
// Restart can bring the server back on the same port.
func (s *Server) Kill() error {
	if !s.Owned || s.cmd == nil {
		return errors.New("chserver: server not owned by this process")
	}
	err := s.kill()
	s.cmd = nil
	return err
}

// Restart starts a killed or stopped server again on the same port.
func (s *Server) Restart(ctx context.Context) error {
	if !s.Owned {
		return errors.New("chserver: server not owned by this process")
	}
	if s.cmd != nil {
		return errors.New("chserver: server still running")
	}
	_, port, _ := net.SplitHostPort(s.Addr)
	p, _ := strconv.Atoi(port)
	return s.launch(ctx, p)
}

func (s *Server) kill() error {
	if s.cmd == nil {
		return nil
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	return nil
}

func (s *Server) release() {
	if s.lock != nil {
		_ = os.Remove(filepath.Join(s.dir, "clickhouse.addr"))
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
}

// waitAnswer waits until addr completes a ClickHouse native handshake, i.e. the server
// accepts connections and answers a Hello. exited, if not nil, reports an early exit.
func waitAnswer(ctx context.Context, addr string, timeout time.Duration, exited <-chan error) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := hello(addr); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("no answer on %s within %s: %w", addr, timeout, err)
		}
		select {
		case err := <-exited:
			return fmt.Errorf("clickhouse-server exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// hello sends a minimal native-protocol Hello packet and expects a server Hello (packet 0).
func hello(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	var b []byte
	uv := func(v uint64) {
		for v >= 0x80 {
			b = append(b, byte(v)|0x80)
			v >>= 7
		}
		b = append(b, byte(v))
	}
	str := func(s string) { uv(uint64(len(s))); b = append(b, s...) }
	uv(0) // ClientHello
	str("cloudbill-probe")
	uv(1)
	uv(1)
	uv(54213)
	str("default")
	str("default")
	str("")
	if _, err := c.Write(b); err != nil {
		return err
	}
	var p [1]byte
	if _, err := io.ReadFull(c, p[:]); err != nil {
		return err
	}
	if p[0] != 0 {
		return fmt.Errorf("unexpected packet %d", p[0])
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeConfig(dir string, port int) error {
	cfg := fmt.Sprintf(`<?xml version="1.0"?>
<!-- generated by cloudbill: the embedded ClickHouse server; edits are overwritten -->
<yandex>
  <logger>
    <level>warning</level>
    <log>%[1]s/log/server.log</log>
    <errorlog>%[1]s/log/server.err.log</errorlog>
    <size>100M</size>
    <count>3</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`, dir, port)
	users := `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>8000000000</max_memory_usage>
      <use_uncompressed_cache>0</use_uncompressed_cache>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries><errors>0</errors><result_rows>0</result_rows>
        <read_rows>0</read_rows><execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644)
}
