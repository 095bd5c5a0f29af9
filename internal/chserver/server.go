// Package chserver starts, shares and stops the embedded local clickhouse-server that
// cloudbill uses when no ClickHouse address is configured.
//
// The server listens on loopback only, on a free port (kept across restarts), with its
// data under its own directory (mode 0700). One data directory has at most one server,
// shared by every process that uses it; the last one to leave stops it. The files that
// make this work, all in the directory:
//
//	clickhouse.lock   an exclusive flock held for a moment while a process starts,
//	                  attaches to, restarts or stops the server (never while it just uses it)
//	clickhouse.users  every process using the server holds a shared flock on it: the
//	                  reference count. The kernel drops a dead process's lock, so a crashed
//	                  user (SIGKILL, SIGPIPE) counts no more.
//	clickhouse.addr   host:port of the running server
//	password          the generated password of the server's only user, "default" (0600)
//	data/status       ClickHouse's own: the running server's pid (and its file lock)
//
// Whatever a crash left behind, Start comes up or fails with a clear message: a server
// orphaned by a killed process is found by the pid in data/status (checked against
// /proc) and adopted; a server that answers with another password or does not come up is
// killed and started again; every wait is bounded and obeys the context.
package chserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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

// errAuth is a server that answers but refuses the password.
var errAuth = errors.New("the server refuses cloudbill's password")

// User is the embedded server's only user.
const User = "default"

// Config says where the embedded server keeps its files.
type Config struct {
	// Dir holds the server's data, logs, generated configuration, password, locks and
	// address.
	Dir string
	// Binary is the clickhouse-server executable; default: found on PATH or /usr/sbin.
	Binary string
	// StartTimeout bounds the wait for the server to answer; default 60s.
	StartTimeout time.Duration
	// KillWithParent asks the kernel to kill the server when the process that started it
	// dies (tests and benchmarks, whose directories nobody else uses).
	KillWithParent bool
	// Logf, if set, is told when a start or stop waits for another process.
	Logf func(format string, args ...any)
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("chserver: empty data directory")
	}
	return nil
}

// Server is this process's use of the embedded server of one directory. Stop ends the
// use; the server stops with the last user.
type Server struct {
	// Addr is host:port of the native protocol.
	Addr string
	// User and Password authenticate to it.
	User, Password string
	// Owned reports whether this process started the server that was running when
	// Start returned (it may have been adopted from another process instead).
	Owned bool

	dir   string
	cfg   Config
	users *os.File // shared flock: this process uses the server
	cmd   *exec.Cmd
	done  chan struct{} // closed when cmd has exited (only for a server this process started)
}

// Start starts the server in cfg.Dir, or joins the one already running there (started by
// another process, alive or dead). It returns when the server answers on its port, with
// this process counted as a user until Stop.
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded clickhouse: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded clickhouse: %w", err)
	}
	for _, d := range []string{"data", "tmp", "log", "user_files"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("embedded clickhouse: %w", err)
		}
	}
	pw, err := password(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded clickhouse: %w", err)
	}
	s := &Server{dir: dir, cfg: cfg, User: User, Password: pw}
	unlock, err := lockState(ctx, dir, cfg.Logf)
	if err != nil {
		return nil, err
	}
	defer unlock()
	users, err := os.OpenFile(filepath.Join(dir, "clickhouse.users"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded clickhouse: %w", err)
	}
	// Nobody holds it exclusively while we hold the state lock: this does not wait.
	if err := syscall.Flock(int(users.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		users.Close()
		return nil, fmt.Errorf("embedded clickhouse: users lock: %w", err)
	}
	s.users = users
	if err := s.ensure(ctx); err != nil {
		s.leave()
		return nil, err
	}
	return s, nil
}

// ensure brings the server up, under the state lock: it adopts a running server of this
// directory that answers with our password, waits for one that is still starting, and
// otherwise kills what is left and launches a new one.
func (s *Server) ensure(ctx context.Context) error {
	if pid := runningPid(s.dir); pid > 0 {
		addr := readAddr(s.dir)
		if addr != "" {
			err := waitAnswer(ctx, addr, s.Password, s.cfg.StartTimeout, func() bool { return alive(pid) })
			if err == nil {
				s.Addr, s.Owned = addr, s.cmd != nil && s.cmd.Process.Pid == pid
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		// a server of this directory that we cannot use: no address, another password,
		// or not answering. Nobody else can either; stop it and start afresh.
		if err := terminate(ctx, pid, 10*time.Second); err != nil {
			return fmt.Errorf("embedded clickhouse in %s: a server (pid %d) that cloudbill cannot use is running and does not stop: %w", s.dir, pid, err)
		}
	}
	port := 0
	if _, p, err := net.SplitHostPort(readAddr(s.dir)); err == nil {
		if n, err := strconv.Atoi(p); err == nil && portFree(n) {
			port = n
		}
	}
	return s.launch(ctx, port)
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
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := writeConfig(s.dir, port, s.Password); err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(s.dir, "clickhouse.addr"), []byte(addr+"\n"), 0o600); err != nil {
		return err
	}
	out, err := os.OpenFile(filepath.Join(s.dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	errLog := filepath.Join(s.dir, "log", "server.err.log")
	errStart := fileSize(errLog)
	cmd := exec.Command(bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	cmd.Dir = s.dir
	cmd.Env = serverEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: a Ctrl-C at the terminal goes to the command, which then
	// leaves cleanly, not to a server other commands may be using.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if s.cfg.KillWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start clickhouse-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(done) }()
	s.cmd, s.done = cmd, done
	exited := func() bool {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	if err := waitAnswer(ctx, addr, s.Password, s.cfg.StartTimeout, exited); err != nil {
		s.killOwn()
		msg := lastErrors(errLog, errStart)
		if msg != "" {
			msg = ": " + msg
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("embedded clickhouse did not start (%v; see %s)%s", err, filepath.Join(s.dir, "log"), msg)
	}
	s.Addr, s.Owned = addr, true
	return nil
}

// Stop ends this process's use of the server. The last user stops the server: SIGTERM,
// and a wait of at most stopWait for it to exit; a server slower to shut down finishes
// on its own (the next Start waits for it to exit before starting another).
func (s *Server) Stop() error {
	if s.users == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	unlock, err := lockState(ctx, s.dir, s.cfg.Logf)
	if err != nil {
		s.leave() // we hold no reference any more; the next user finds what is left
		return err
	}
	defer unlock()
	// Whoever else uses the server holds a shared lock: the exclusive one is ours only
	// when we are the last. (Not atomic: our shared lock may be dropped first, which is
	// what leaving does anyway; nobody can join while we hold the state lock.)
	last := syscall.Flock(int(s.users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
	if last {
		if pid := runningPid(s.dir); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			waitGone(pid, stopWait)
		}
		s.waitOwn(time.Second)
	}
	s.leave()
	return nil
}

// stopWait bounds the last user's wait for the server to exit.
const stopWait = 5 * time.Second

// ErrInUse is returned by Remove when a process uses the server of the directory.
var ErrInUse = errors.New("the embedded clickhouse is in use by another cloudbill process")

// Remove deletes the directory of an embedded server that no process uses, stopping
// first a server left running there (orphaned by a killed process). A directory in use
// is left alone (ErrInUse); a missing one is no error.
func Remove(ctx context.Context, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	unlock, err := lockState(ctx, dir, nil)
	if err != nil {
		return err
	}
	defer unlock()
	users, err := os.OpenFile(filepath.Join(dir, "clickhouse.users"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer users.Close()
	if err := syscall.Flock(int(users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("%w (%s)", ErrInUse, dir)
	}
	if pid := runningPid(dir); pid > 0 {
		if err := terminate(ctx, pid, 10*time.Second); err != nil {
			return fmt.Errorf("embedded clickhouse in %s: %w", dir, err)
		}
	}
	return os.RemoveAll(dir)
}

// leave drops this process's reference.
func (s *Server) leave() {
	if s.users != nil {
		_ = syscall.Flock(int(s.users.Fd()), syscall.LOCK_UN)
		s.users.Close()
		s.users = nil
	}
}

// Kill stops the server with SIGKILL, as a crash would, and waits until it is gone.
// Restart brings it back.
func (s *Server) Kill() error {
	pid := runningPid(s.dir)
	if pid <= 0 {
		return errors.New("chserver: no server running")
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if !waitGone(pid, 10*time.Second) {
		return fmt.Errorf("chserver: pid %d still running after SIGKILL", pid)
	}
	s.waitOwn(5 * time.Second)
	return nil
}

// Alive reports whether the server process of the directory runs (it may not answer yet).
func (s *Server) Alive() bool { return runningPid(s.dir) > 0 }

// Restart starts the server again if it is not running (after a crash or Kill), on the
// same port when that is still free; it does nothing when the server runs and answers.
func (s *Server) Restart(ctx context.Context) error {
	if s.users == nil {
		return errors.New("chserver: Restart after Stop")
	}
	unlock, err := lockState(ctx, s.dir, s.cfg.Logf)
	if err != nil {
		return err
	}
	defer unlock()
	return s.ensure(ctx)
}

// DSN is the clickhouse:// address of database db on the server, with its credentials.
func (s *Server) DSN(db string) string {
	return "clickhouse://" + s.User + ":" + s.Password + "@" + s.Addr + "/" + db
}

// killOwn kills a server this process started and waits (bounded) for it to exit.
func (s *Server) killOwn() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.waitOwn(10 * time.Second)
}

// waitOwn waits, at most d, until a server this process started has been reaped.
func (s *Server) waitOwn(d time.Duration) {
	if s.cmd == nil {
		return
	}
	select {
	case <-s.done:
		s.cmd, s.done = nil, nil
	case <-time.After(d):
	}
}

// lockState takes the directory's state lock, waiting while another process starts or
// stops the server, as long as ctx allows.
func lockState(ctx context.Context, dir string, logf func(string, ...any)) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "clickhouse.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded clickhouse: %w", err)
	}
	warned := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("embedded clickhouse: lock %s: %w", f.Name(), err)
		}
		if logf != nil && time.Now().After(warned) {
			logf("waiting for another cloudbill process starting or stopping the embedded clickhouse in %s", dir)
			warned = time.Now().Add(time.Hour)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("embedded clickhouse in %s: another process is starting or stopping it: %w", dir, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// password returns the directory's password, generating it (mode 0600) the first time.
func password(dir string) (string, error) {
	path := filepath.Join(dir, "password")
	b, err := os.ReadFile(path)
	if err == nil {
		pw := strings.TrimSpace(string(b))
		if len(pw) >= 16 {
			if err := os.Chmod(path, 0o600); err != nil {
				return "", err
			}
			return pw, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var r [24]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(r[:])
	if err := writeFileSync(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", err
	}
	return pw, nil
}

// PasswordFile is where the password of the server in dir is kept.
func PasswordFile(dir string) string { return filepath.Join(dir, "password") }

// writeFileSync writes a file under a temporary name, fsyncs and renames it: readers
// see the old content or the new, never half of it.
func writeFileSync(path string, b []byte, mode os.FileMode) error {
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

func readAddr(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "clickhouse.addr"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// runningPid is the pid of the clickhouse-server running on dir, from ClickHouse's
// data/status file, checked against /proc (the process exists, is not a zombie, and was
// started with this directory's config); 0 if none.
func runningPid(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "data", "status"))
	if err != nil {
		return 0
	}
	var pid int
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PID:"); ok {
			pid, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if pid <= 0 || !alive(pid) {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte("--config-file="+filepath.Join(dir, "config.xml"))) {
		return 0
	}
	return pid
}

// alive reports whether pid runs (exists and is not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) S …: the state follows the last ')'
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	st := b[i+2]
	return st != 'Z' && st != 'X'
}

// terminate stops pid: SIGTERM, then SIGKILL to its process group after grace.
func terminate(ctx context.Context, pid int, grace time.Duration) error {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for alive(pid) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			if !waitGone(pid, 10*time.Second) {
				return fmt.Errorf("pid %d survives SIGKILL", pid)
			}
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// waitAnswer waits until addr completes a ClickHouse native handshake with the password,
// for at most timeout. running, if not nil, is polled: once it reports false (the server
// exited) the wait ends with an error. A server that refuses the password ends it too.
func waitAnswer(ctx context.Context, addr, password string, timeout time.Duration, running func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		err := hello(addr, password)
		if err == nil {
			return nil
		}
		if errors.Is(err, errAuth) {
			return err
		}
		if running != nil && !running() {
			return fmt.Errorf("clickhouse-server exited (%v)", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer on %s within %s: %w", addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// hello sends a native-protocol Hello packet with the password and expects a server
// Hello (packet 0); an Exception (packet 2) means the password was refused.
func hello(addr, password string) error {
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
	str(User)
	str(password)
	if _, err := c.Write(b); err != nil {
		return err
	}
	var p [1]byte
	if _, err := io.ReadFull(c, p[:]); err != nil {
		return err
	}
	switch p[0] {
	case 0:
		return nil
	case 2:
		return errAuth
	}
	return fmt.Errorf("unexpected packet %d", p[0])
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// lastErrors returns the last few lines the server wrote to its error log after offset.
func lastErrors(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	var lines []string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			lines = append(lines, t)
		}
	}
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, " | ")
}

// mallocConf is the allocator's configuration the embedded server runs with (jemalloc,
// which ClickHouse uses: the Debian package links the system's libjemalloc, current
// releases their own; both read $MALLOC_CONF). Without a background thread jemalloc
// returns the pages a query or a merge freed only when that arena allocates again, so
// the server's resident set stayed at what its largest recent queries had used (400–450
// MB after an idle analysis whose queries used 143 MB each). With one, freed pages go back
// after jemalloc's own delay (10 s). On the district month the server's peak went 255–278
// MB → 223–236 MB, ingest as fast (24–25 s against 25–29 s, load 12–18); a 1 s delay
// (dirty_decay_ms:1000) gave 167 MB but made the ingest 20 % slower.
const mallocConf = "background_thread:true"

// serverEnv is the server's environment: ours, with MALLOC_CONF set unless it already is
// (an operator's own setting wins).
func serverEnv(env []string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "MALLOC_CONF=") {
			return env
		}
	}
	return append(env[:len(env):len(env)], "MALLOC_CONF="+mallocConf)
}

func writeConfig(dir string, port int, password string) error {
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
	sum := sha256.Sum256([]byte(password))
	// The one user, "default", needs the generated password (kept in DIR/password,
	// mode 0600); only its SHA-256 is written here.
	users := fmt.Sprintf(`<?xml version="1.0"?>
<!-- generated by cloudbill; the password is in the file "password" beside this one -->
<yandex>
  <profiles>
    <default>
      <max_memory_usage>8000000000</max_memory_usage>
      <use_uncompressed_cache>0</use_uncompressed_cache>
    </default>
  </profiles>
  <users>
    <default>
      <password_sha256_hex>%s</password_sha256_hex>
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
`, hex.EncodeToString(sum[:]))
	if err := writeFileSync(filepath.Join(dir, "config.xml"), []byte(cfg), 0o600); err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, "users.xml"), []byte(users), 0o600)
}
