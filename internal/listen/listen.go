// Package listen opens the listener of `cloudbill serve` (the ingest API and the portal)
// under one rule: nothing listens beyond loopback without TLS, unless the operator says
// explicitly that TLS ends in front of cloudbill (a reverse proxy or load balancer).
//
// It is shared by the portal and the collectors: serve calls AddFlags once, Validate,
// then Listen.
package listen

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
)

// Config is where and how serve listens.
type Config struct {
	// Addr is host:port. A host that is not a loopback address (or empty, meaning every
	// interface) needs TLS or BehindTLSProxy.
	Addr string
	// CertFile and KeyFile (PEM) make the listener TLS; both or neither.
	CertFile, KeyFile string
	// BehindTLSProxy says TLS ends in front of cloudbill: it may listen in plain HTTP on
	// a non-loopback address, and marks its cookies Secure.
	BehindTLSProxy bool
}

// AddFlags declares --tls-cert, --tls-key and --behind-tls-proxy on fs (serve declares
// --listen itself and sets Addr).
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.CertFile, "tls-cert", "", "TLS certificate `file` (PEM, with its chain); with --tls-key serve speaks HTTPS")
	fs.StringVar(&c.KeyFile, "tls-key", "", "TLS private key `file` (PEM)")
	fs.BoolVar(&c.BehindTLSProxy, "behind-tls-proxy", false,
		"TLS ends in front of serve (a reverse proxy): allow plain HTTP on a non-loopback --listen address")
}

// ErrPlainNonLoopback: a non-loopback address without TLS and without BehindTLSProxy.
var ErrPlainNonLoopback = errors.New("refusing to listen without TLS beyond loopback")

// TLS reports whether the listener itself speaks TLS.
func (c Config) TLS() bool { return c.CertFile != "" }

// Secure reports whether clients reach serve over TLS (here or in front): cookies are
// then marked Secure.
func (c Config) Secure() bool { return c.TLS() || c.BehindTLSProxy }

// Validate checks the configuration without opening anything.
func (c Config) Validate() error {
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("listen address %q: want host:port", c.Addr)
	}
	if !c.TLS() && !c.BehindTLSProxy && !IsLoopback(c.Addr) {
		return fmt.Errorf("listen address %s: %w: give --tls-cert and --tls-key, or --behind-tls-proxy when TLS ends in front of cloudbill", c.Addr, ErrPlainNonLoopback)
	}
	return nil
}

// Listen validates, loads the certificate and opens the listener.
func (c Config) Listen() (net.Listener, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var tc *tls.Config
	if c.TLS() {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	return ln, nil
}

// URL is the base URL of a listener opened by Listen.
func (c Config) URL(ln net.Listener) string {
	scheme := "http"
	if c.TLS() {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String()
}

// IsLoopback reports whether addr (host:port or host) names only this machine: a
// loopback IP or "localhost". An empty host (every interface) is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
