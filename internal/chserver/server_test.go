package chserver

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A test binary started with CHSERVER_TEST_CHILD=DIR is a cloudbill-like user of the
// embedded server in DIR: it starts (or joins) it, prints its address and waits to be
// killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("CHSERVER_TEST_CHILD"); dir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		s, err := Start(ctx, Config{Dir: dir})
		cancel()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("addr:", s.Addr)
		time.Sleep(10 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func skipWithoutServer(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("clickhouse-server"); err != nil {
		if _, err := os.Stat("/usr/sbin/clickhouse-server"); err != nil {
			t.Skip("clickhouse-server not installed")
		}
	}
}

// child starts a user process of dir and returns it once the server answers.
func child(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	t.Cleanup(func() { // a server left behind by a test that failed midway
		if pid := runningPid(dir); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CHSERVER_TEST_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "addr:"), "child: %s", line)
	return cmd
}

// startWithin starts (or joins) the server of dir, failing the test when that takes
// longer than d, however Start behaves (it is run aside, so a hang fails too).
func startWithin(t *testing.T, dir string, d time.Duration) *Server {
	t.Helper()
	type res struct {
		s   *Server
		err error
	}
	ch := make(chan res, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	go func() {
		defer cancel()
		s, err := Start(ctx, Config{Dir: dir})
		ch <- res{s, err}
	}()
	select {
	case r := <-ch:
		require.NoError(t, r.err)
		t.Cleanup(func() { _ = r.s.Stop() })
		return r.s
	case <-time.After(d):
		t.Fatalf("Start did not return within %s", d)
		return nil
	}
}

// TestStartAfterKilledUser: a process using the server is SIGKILLed (its server lives
// on, orphaned); the next Start answers within 10 s, on that same server, and the last
// user stops it.
func TestStartAfterKilledUser(t *testing.T) {
	skipWithoutServer(t)
	dir := t.TempDir()
	c := child(t, dir)
	orphan := runningPid(dir)
	require.NotZero(t, orphan, "the child's server runs")
	require.NoError(t, c.Process.Kill())
	_ = c.Wait()
	require.True(t, alive(orphan), "the server outlives the killed process")

	began := time.Now()
	s := startWithin(t, dir, 10*time.Second)
	t.Logf("next Start answered after %s", time.Since(began).Round(time.Millisecond))
	require.NoError(t, hello(s.Addr, s.Password))
	assert.Equal(t, orphan, runningPid(dir), "the orphaned server is adopted, not replaced")
	require.NoError(t, s.Stop())
	assert.True(t, waitGone(orphan, 10*time.Second), "the last user stops the server")
}

// TestStartAfterStaleFiles: a crash left an address, a status file naming a dead pid,
// locks and temporary files; Start comes up anyway.
func TestStartAfterStaleFiles(t *testing.T) {
	skipWithoutServer(t)
	dir := t.TempDir()
	for _, d := range []string{"data", "log"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "status"), []byte("PID: 999999\nStarted at: 2026-01-01\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "clickhouse.addr"), []byte("127.0.0.1:1\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "clickhouse.lock"), []byte("12345\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.xml.4242.tmp"), []byte("<yan"), 0o644))
	s := startWithin(t, dir, 30*time.Second)
	require.NoError(t, hello(s.Addr, s.Password))
}

// TestLastUserStops: two users of one directory (separate lock files, as two processes
// have); the first leaving does not stop the server under the second; the second does.
func TestLastUserStops(t *testing.T) {
	skipWithoutServer(t)
	dir := t.TempDir()
	a := startWithin(t, dir, 60*time.Second)
	b := startWithin(t, dir, 10*time.Second)
	assert.Equal(t, a.Addr, b.Addr, "one server per directory")
	pid := runningPid(dir)
	require.NoError(t, a.Stop())
	require.NoError(t, hello(b.Addr, b.Password), "the server still answers the remaining user")
	began := time.Now()
	require.NoError(t, b.Stop())
	t.Logf("the last user's Stop took %s", time.Since(began).Round(time.Millisecond))
	assert.True(t, waitGone(pid, 10*time.Second), "the last user stopped the server")
}

// TestPassword: the server refuses the password-less default user; the password file
// is mode 0600 and survives restarts.
func TestPassword(t *testing.T) {
	skipWithoutServer(t)
	dir := t.TempDir()
	s := startWithin(t, dir, 60*time.Second)
	require.Len(t, s.Password, 48)
	fi, err := os.Stat(PasswordFile(dir))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "password file mode")
	di, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm(), "directory mode")
	assert.ErrorIs(t, hello(s.Addr, ""), errAuth, "no password")
	assert.ErrorIs(t, hello(s.Addr, "wrong"), errAuth, "wrong password")
	require.NoError(t, hello(s.Addr, s.Password))
	users, err := os.ReadFile(filepath.Join(dir, "users.xml"))
	require.NoError(t, err)
	assert.NotContains(t, string(users), s.Password, "only the hash is in users.xml")
	if os.Getenv("MALLOC_CONF") == "" {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", s.cmd.Process.Pid))
		require.NoError(t, err)
		assert.Contains(t, strings.Split(string(env), "\x00"), "MALLOC_CONF="+mallocConf, "the server returns freed memory (serverEnv)")
	}

	pw := s.Password
	require.NoError(t, s.Stop())
	s2 := startWithin(t, dir, 60*time.Second)
	assert.Equal(t, pw, s2.Password, "the password is kept")
}

// TestKillRestart: Kill stops the server as a crash would; Restart brings it back on the
// same port.
func TestKillRestart(t *testing.T) {
	skipWithoutServer(t)
	dir := t.TempDir()
	s := startWithin(t, dir, 60*time.Second)
	addr := s.Addr
	require.NoError(t, s.Kill())
	assert.False(t, s.Alive())
	assert.Error(t, hello(addr, s.Password))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, s.Restart(ctx))
	assert.Equal(t, addr, s.Addr, "same port")
	require.NoError(t, hello(s.Addr, s.Password))
}

// TestStartObeysContext: a Start waiting for the directory's state lock gives up when
// its context ends.
func TestStartObeysContext(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockState(context.Background(), dir, nil)
	require.NoError(t, err)
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = Start(ctx, Config{Dir: dir})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestRemove: a directory whose server was orphaned by a killed process is removed, the
// server stopped first; a directory in use is left alone.
func TestRemove(t *testing.T) {
	skipWithoutServer(t)
	dir := t.TempDir()
	s := startWithin(t, dir, 60*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.ErrorIs(t, Remove(ctx, dir), ErrInUse)
	require.NoError(t, hello(s.Addr, s.Password), "untouched")

	od := filepath.Join(t.TempDir(), "orphaned")
	c := child(t, od)
	require.NoError(t, c.Process.Kill())
	_ = c.Wait()
	pid := runningPid(od)
	require.NotZero(t, pid, "the orphan runs")
	require.NoError(t, Remove(ctx, od))
	assert.False(t, alive(pid), "the orphan is stopped")
	_, err := os.Stat(od)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestOrphanWithAnotherPassword: a server left running with another password (say, by
// an older cloudbill, password-less) is not adopted: it is stopped and a server with the
// directory's password started.
func TestOrphanWithAnotherPassword(t *testing.T) {
	skipWithoutServer(t)
	dir := t.TempDir()
	c := child(t, dir)
	old := runningPid(dir)
	require.NotZero(t, old)
	require.NoError(t, c.Process.Kill())
	_ = c.Wait()
	require.NoError(t, os.WriteFile(PasswordFile(dir), []byte("0123456789abcdef0123456789abcdef\n"), 0o600))

	s := startWithin(t, dir, 30*time.Second)
	assert.Equal(t, "0123456789abcdef0123456789abcdef", s.Password)
	require.NoError(t, hello(s.Addr, s.Password))
	assert.False(t, alive(old), "the server with the other password is stopped")
	assert.NotEqual(t, old, runningPid(dir))
}

// TestServerEnv: the server gets the allocator's configuration unless the environment
// has one (an operator's own wins); the caller's slice is not changed.
func TestServerEnv(t *testing.T) {
	env := make([]string, 1, 4)
	env[0] = "PATH=/usr/bin"
	got := serverEnv(env)
	assert.Equal(t, []string{"PATH=/usr/bin", "MALLOC_CONF=" + mallocConf}, got)
	assert.Equal(t, []string{"PATH=/usr/bin"}, env[:cap(env)][:1])
	assert.Equal(t, "", env[:2][1], "the caller's spare capacity is not written")
	own := []string{"MALLOC_CONF=narenas:1", "PATH=/usr/bin"}
	assert.Equal(t, own, serverEnv(own))
}
