package listen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
		ok      bool
	}{
		{"loopback plain", Config{Addr: "127.0.0.1:0"}, nil, true},
		{"localhost plain", Config{Addr: "localhost:8080"}, nil, true},
		{"ipv6 loopback plain", Config{Addr: "[::1]:8080"}, nil, true},
		{"all interfaces plain", Config{Addr: ":8080"}, ErrPlainNonLoopback, false},
		{"lan plain", Config{Addr: "10.1.2.3:8080"}, ErrPlainNonLoopback, false},
		{"lan behind proxy", Config{Addr: "10.1.2.3:8080", BehindTLSProxy: true}, nil, true},
		{"lan with tls", Config{Addr: "0.0.0.0:8443", CertFile: "c", KeyFile: "k"}, nil, true},
		{"cert without key", Config{Addr: "127.0.0.1:1", CertFile: "c"}, nil, false},
		{"no port", Config{Addr: "127.0.0.1"}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			assert.Equal(t, tc.ok, err == nil, "got %v", err)
			if tc.wantErr != nil {
				assert.True(t, errors.Is(err, tc.wantErr), "got %v", err)
			}
		})
	}
}

func TestListenTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	cfg := Config{Addr: "127.0.0.1:0", CertFile: cert, KeyFile: key}
	ln, err := cfg.Listen()
	require.NoError(t, err)
	defer ln.Close()
	assert.True(t, cfg.Secure())
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_, _ = c.Write([]byte("hi"))
			c.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	require.NoError(t, err)
	buf := make([]byte, 2)
	_, err = conn.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(buf))
	assert.Equal(t, "https://"+ln.Addr().String(), cfg.URL(ln))
	conn.Close()

	_, err = Config{Addr: "127.0.0.1:0", CertFile: filepath.Join(dir, "none"), KeyFile: key}.Listen()
	assert.Error(t, err)
}

func selfSigned(t *testing.T, dir string) (string, string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return cert, key
}
