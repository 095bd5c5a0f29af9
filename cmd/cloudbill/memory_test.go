package main

// Peak memory of a real process: the command (or serve) runs as this test binary in a
// child process (TestMain, CLOUDBILL_TEST_AS_MAIN), so what other tests of the package
// do at the same time does not count. A command's peak is the kernel's maximum resident
// set size of the child (getrusage, read once it has ended); serve's is VmHWM of
// /proc/PID/status, read while it runs.

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// measured is the outcome of a command run as a process.
type measured struct {
	out    string
	code   int
	peakMB float64
	took   time.Duration
}

// runMeasured runs cloudbill args on dsn as a child process, killing it after limit.
func runMeasured(t *testing.T, dsn, dataDir string, limit time.Duration, args ...string) measured {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--clickhouse", dsn, "--data-dir", dataDir}, args...)...)
	cmd.Env = append(os.Environ(), "CLOUDBILL_TEST_AS_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	require.NoError(t, cmd.Start())
	timer := time.AfterFunc(limit, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	m := measured{out: out.String(), took: time.Since(began), code: cmd.ProcessState.ExitCode()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.peakMB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("cloudbill %s: killed after %s (%v), peak %.0f MB:\n%s", strings.Join(args, " "), limit, err, m.peakMB, m.out)
	}
	t.Logf("cloudbill %s: exit %d in %s, peak RSS %.0f MB", strings.Join(args, " "), m.code, m.took.Round(time.Millisecond), m.peakMB)
	return m
}

// serveProc is serve running as a child process.
type serveProc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncWriter
	exited chan error
}

// serveMeasured starts cloudbill serve on dsn with a free loopback address and waits until
// it answers; it is stopped (SIGTERM) when the test ends.
func serveMeasured(t *testing.T, dsn, dataDir string, args ...string) *serveProc {
	t.Helper()
	listen := freeAddr(t)
	cmd := exec.Command(os.Args[0], append([]string{"--clickhouse", dsn, "--data-dir", dataDir, "serve", "--listen", listen, "--close-schedule", "off", "--rate-schedule", "off"}, args...)...)
	cmd.Env = append(os.Environ(), "CLOUDBILL_TEST_AS_MAIN=1")
	sp := &serveProc{cmd: cmd, base: "http://" + listen, stderr: &syncWriter{w: &bytes.Buffer{}}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = sp.stderr, sp.stderr
	require.NoError(t, cmd.Start())
	go func() { sp.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-sp.exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-sp.exited
		}
	})
	waitHealthy(t, listen, sp.exited)
	return sp
}

// peakMB is serve's peak resident set so far (VmHWM).
func (sp *serveProc) peakMB(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(sp.cmd.Process.Pid) + "/status")
	require.NoError(t, err)
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(b)
	require.NotNil(t, m)
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) / 1024
}

// portalClient is a signed-in session of the portal of a serveProc.
type portalClient struct {
	*http.Client
	base, csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the login form.
func (sp *serveProc) signIn(t *testing.T, login, password string) *portalClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &portalClient{Client: &http.Client{Jar: jar, Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: sp.base}
	body := func(res *http.Response) string {
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		res.Body.Close()
		return b.String()
	}
	res, err := c.Get(sp.base + "/login")
	require.NoError(t, err)
	m := csrfField.FindStringSubmatch(body(res))
	require.NotNil(t, m, "the login form has a CSRF field")
	res, err = c.PostForm(sp.base+"/login", url.Values{"csrf": {m[1]}, "login": {login}, "password": {password}, "next": {"/"}})
	require.NoError(t, err)
	body(res)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "sign in %s", login)
	res, err = c.Get(sp.base + "/")
	require.NoError(t, err)
	m = csrfField.FindStringSubmatch(body(res))
	require.NotNil(t, m, "pages carry the session's CSRF token")
	c.csrf = m[1]
	return c
}

// upload posts a file as the form field field to path; it returns the status and body.
func (c *portalClient) upload(t *testing.T, path, field, name string, content []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("csrf", c.csrf))
	fw, err := mw.CreateFormFile(field, name)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest("POST", c.base+path, &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	require.NoError(t, err)
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	res.Body.Close()
	return res.StatusCode, b.String()
}
