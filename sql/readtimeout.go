package chstore

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultReadTimeout is how long a query may go without receiving a byte from ClickHouse
// before it fails (Config.ReadTimeout, ?read_timeout= in the DSN). ClickHouse sends a
// progress packet about every 100 ms while a query runs and its result blocks as they are
// ready, so a live server, even a loaded one, is never silent this long; a query's total
// time is not bounded.
const DefaultReadTimeout = 5 * time.Minute

// The driver (clickhouse-go) sets one read deadline, now + its ReadTimeout, when a
// query's reading starts and keeps it until the last block: a read that streams longer
// than that (a backup's FINAL read of a city month's samples under load) failed with an
// i/o timeout while data was still coming. progressConn turns that deadline into a
// progress deadline: while the driver has a read deadline set, each Read may wait at most
// the read timeout for its bytes, counted from when it starts. An absolute deadline the
// driver sets from a context (SetDeadline) still holds as it is.

// progressDialer dials addr (TLS when tlsCfg is set) and wraps the connection in a
// progressConn with the given read timeout.
func progressDialer(readTimeout, dialTimeout time.Duration, tlsCfg *tls.Config) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: dialTimeout}
		raw, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		var c net.Conn = &progressConn{Conn: raw, addr: addr, timeout: readTimeout}
		if tlsCfg == nil {
			return c, nil
		}
		cfg := tlsCfg.Clone()
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			cfg.ServerName = host
		}
		tc := tls.Client(c, cfg)
		hctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		return tc, nil
	}
}

// progressConn is a connection to ClickHouse whose read deadline is a progress deadline
// (see above).
type progressConn struct {
	net.Conn
	addr    string
	timeout time.Duration

	mu sync.Mutex
	// armed: the driver has set a read deadline (it is waiting for an answer).
	armed bool
	// abs is the absolute deadline the driver set with SetDeadline (a context's), or zero.
	abs time.Time
}

// SetReadDeadline arms (t not zero) or disarms the progress deadline; t itself (the
// driver's now + ReadTimeout) is not kept.
func (c *progressConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.armed = !t.IsZero()
	c.mu.Unlock()
	return nil
}

// SetDeadline sets an absolute deadline for reads and writes.
func (c *progressConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.abs = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func (c *progressConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	armed, abs := c.armed, c.abs
	c.mu.Unlock()
	var d time.Time
	if armed {
		d = time.Now().Add(c.timeout)
	}
	stall := armed
	if !abs.IsZero() && (d.IsZero() || abs.Before(d)) {
		d, stall = abs, false
	}
	if err := c.Conn.SetReadDeadline(d); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if err != nil && stall {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return n, &StalledError{Addr: c.addr, After: c.timeout}
		}
	}
	return n, err
}

// SyscallConn is the underlying connection's (the driver checks a pooled connection's
// socket with it before reusing it).
func (c *progressConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("clickhouse %s: connection has no socket", c.addr)
	}
	return sc.SyscallConn()
}

// StalledError: ClickHouse sent nothing for the read timeout while cloudbill waited for an
// answer (the server is gone, stopped or cut off). It is a timeout (net.Error) and wraps
// os.ErrDeadlineExceeded.
type StalledError struct {
	Addr  string
	After time.Duration
}

func (e *StalledError) Error() string {
	return fmt.Sprintf("clickhouse %s sent nothing for %s while a query waited for it (the server is gone, stopped or unreachable; the limit is read_timeout in the DSN)", e.Addr, e.After)
}

func (e *StalledError) Timeout() bool   { return true }
func (e *StalledError) Temporary() bool { return false }
func (e *StalledError) Unwrap() error   { return os.ErrDeadlineExceeded }
