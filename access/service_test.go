package access_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/sql/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)} }
func admin() access.Identity         { return access.Local("test") }
func ctxT() context.Context          { return context.Background() }

func newService(t *testing.T, c *clock) *access.Service {
	t.Helper()
	s, err := access.New(access.Config{Store: chtest.New(t), Now: c.Now})
	require.NoError(t, err)
	return s
}

func addUser(t *testing.T, s *access.Service, p access.AddUserParams) {
	t.Helper()
	if p.Password == "" {
		p.Password = "a long enough password"
	}
	p.By = admin()
	_, err := s.AddUser(ctxT(), p)
	require.NoError(t, err)
}

func TestSignInSessionsAndDisable(t *testing.T) {
	c := newClock()
	s := newService(t, c)
	ctx := ctxT()
	addUser(t, s, access.AddUserParams{Login: "dep1", Role: access.RoleDepartment, Department: "D1"})

	_, err := s.AddUser(ctx, access.AddUserParams{Login: "dep1", Role: access.RoleDepartment, Department: "D1", Password: "another long one", By: admin()})
	assert.True(t, errors.Is(err, access.ErrExists), "got %v", err)
	_, err = s.AddUser(ctx, access.AddUserParams{Login: "v", Role: access.RoleVendor, Password: "a long enough password", By: admin()})
	assert.Error(t, err, "vendor without vendor id")

	_, err = s.SignIn(ctx, "dep1", "wrong password!", "127.0.0.1")
	assert.True(t, errors.Is(err, access.ErrBadCredentials))
	_, err = s.SignIn(ctx, "nobody", "a long enough password", "127.0.0.1")
	assert.True(t, errors.Is(err, access.ErrBadCredentials))

	res, err := s.SignIn(ctx, "dep1", "a long enough password", "127.0.0.1")
	require.NoError(t, err)
	assert.NotEqual(t, res.Cookie, res.Session.Hash, "only the hash is stored")
	id, se, err := s.SessionIdentity(ctx, res.Cookie)
	require.NoError(t, err)
	assert.Equal(t, access.Login("dep1"), id.Login)
	assert.Equal(t, access.RoleDepartment, id.Role)
	assert.NotEmpty(t, se.CSRF)

	// idle expiry: requests every 20 minutes keep it; 31 minutes of silence end it
	for i := 0; i < 3; i++ {
		c.Add(20 * time.Minute)
		_, _, err = s.SessionIdentity(ctx, res.Cookie)
		require.NoError(t, err, "after %d×20 min of activity", i+1)
	}
	c.Add(31 * time.Minute)
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "idle session: got %v", err)

	// disable ends a live session at once, and refuses sign-in
	res, err = s.SignIn(ctx, "dep1", "a long enough password", "127.0.0.1")
	require.NoError(t, err)
	tok, err := s.CreatePersonalToken(ctx, "dep1", 0, admin())
	require.NoError(t, err)
	_, err = s.Authenticate(ctx, tok.Secret)
	require.NoError(t, err)
	require.NoError(t, s.DisableUser(ctx, "dep1", admin(), ""))
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "disabled: got %v", err)
	_, err = s.Authenticate(ctx, tok.Secret)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "disabled user's token: got %v", err)
	_, err = s.SignIn(ctx, "dep1", "a long enough password", "127.0.0.1")
	assert.True(t, errors.Is(err, access.ErrBadCredentials))

	// sign out
	addUser(t, s, access.AddUserParams{Login: "fin", Role: access.RoleFinance})
	res, err = s.SignIn(ctx, "fin", "a long enough password", "10.0.0.9")
	require.NoError(t, err)
	require.NoError(t, s.SignOut(ctx, res.Cookie, "10.0.0.9"))
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated))

	// every step is audited
	evs, err := s.Audit(ctx, access.AuditFilter{})
	require.NoError(t, err)
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	all := strings.Join(actions, " ")
	for _, want := range []string{"user-add", "sign-in-failed", "sign-in", "token-create", "user-disable", "sign-out"} {
		assert.Contains(t, all, want)
	}
	for _, e := range evs {
		assert.NotContains(t, e.Detail, "password!", "no password in the audit")
	}
}

func TestThrottle(t *testing.T) {
	c := newClock()
	s := newService(t, c)
	ctx := ctxT()
	addUser(t, s, access.AddUserParams{Login: "bur", Role: access.RoleBureau})
	for i := 0; i < 5; i++ {
		_, err := s.SignIn(ctx, "bur", "not the password", "192.0.2.1")
		require.True(t, errors.Is(err, access.ErrBadCredentials), "attempt %d: %v", i, err)
	}
	_, err := s.SignIn(ctx, "bur", "a long enough password", "192.0.2.1")
	assert.True(t, errors.Is(err, access.ErrThrottled), "right password while locked: got %v", err)
	c.Add(16 * time.Minute)
	_, err = s.SignIn(ctx, "bur", "a long enough password", "192.0.2.1")
	assert.NoError(t, err, "after the lockout")
	evs, err := s.Audit(ctx, access.AuditFilter{Action: "sign-in-throttled"})
	require.NoError(t, err)
	assert.Len(t, evs, 1)
}

func TestTokens(t *testing.T) {
	c := newClock()
	s := newService(t, c)
	ctx := ctxT()
	col, err := s.CreateCollectorToken(ctx, "V1", time.Hour, admin())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(col.Secret, "cbc_"+col.Token.ID+"_"))
	id, err := s.Authenticate(ctx, col.Secret)
	require.NoError(t, err)
	assert.Equal(t, access.ViaCollector, id.Via)
	assert.NoError(t, id.May(access.Ingest, access.Vendor("V1"), access.NoParents()))
	assert.Error(t, id.May(access.Ingest, access.Vendor("V2"), access.NoParents()))

	for name, bad := range map[string]string{
		"empty": "", "garbage": "hello", "wrong secret": col.Secret[:len(col.Secret)-2] + "xx",
		"wrong kind": "cbp" + col.Secret[3:], "unknown id": "cbc_0123456789abcdef_" + strings.Repeat("a", 43),
	} {
		_, err := s.Authenticate(ctx, bad)
		assert.True(t, errors.Is(err, access.ErrUnauthenticated), "%s: got %v", name, err)
	}

	other, err := s.CreateCollectorToken(ctx, "V2", 0, admin())
	require.NoError(t, err)
	require.NoError(t, s.RevokeToken(ctx, other.Token.ID, admin()))
	_, err = s.Authenticate(ctx, other.Secret)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "revoked: got %v", err)
	assert.True(t, errors.Is(s.RevokeToken(ctx, "nope", admin()), access.ErrNotFound))

	c.Add(61 * time.Minute)
	_, err = s.Authenticate(ctx, col.Secret)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "expired: got %v", err)

	ts, err := s.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, ts, 2)
	assert.Equal(t, col.Token.ID, ts[0].ID, "oldest first")
	assert.Equal(t, "expired", ts[0].State(c.Now()))
	assert.Equal(t, "revoked", ts[1].State(c.Now()))
	for _, tk := range ts {
		assert.NotContains(t, col.Secret+other.Secret, tk.Hash)
		assert.Len(t, tk.Hash, 64)
	}
}

func TestThrottleByAddress(t *testing.T) {
	c := newClock()
	s := newService(t, c)
	ctx := ctxT()
	addUser(t, s, access.AddUserParams{Login: "fin", Role: access.RoleFinance})
	// 19 failures of different logins from one address: others still sign in
	for i := 0; i < 19; i++ {
		_, err := s.SignIn(ctx, fmt.Sprintf("guess%d", i), "whatever password", "198.51.100.7")
		require.True(t, errors.Is(err, access.ErrBadCredentials))
	}
	_, err := s.SignIn(ctx, "fin", "a long enough password", "198.51.100.7")
	require.NoError(t, err)
	_, err = s.SignIn(ctx, "guess-last", "whatever password", "198.51.100.7")
	require.True(t, errors.Is(err, access.ErrBadCredentials))
	_, err = s.SignIn(ctx, "fin", "a long enough password", "198.51.100.7")
	assert.True(t, errors.Is(err, access.ErrThrottled), "20 failures from the address: got %v", err)
	_, err = s.SignIn(ctx, "fin", "a long enough password", "198.51.100.8")
	assert.NoError(t, err, "another address")
}

// TestDisableElsewhere: another process (the CLI's `users disable`) disables an account
// on the same store: this service's cached identity holds for less than
// MaxIdentityCache, then the session is refused; within the service, disable and sign-out
// act at once (TestSignInSessionsAndDisable).
func TestDisableElsewhere(t *testing.T) {
	c := newClock()
	ctx := ctxT()
	store := chtest.New(t)
	s, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	other, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	addUser(t, s, access.AddUserParams{Login: "dep2", Role: access.RoleDepartment, Department: "D2"})
	res, err := s.SignIn(ctx, "dep2", "a long enough password", "127.0.0.1")
	require.NoError(t, err)
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	require.NoError(t, err)
	require.NoError(t, other.DisableUser(ctx, "dep2", admin(), ""))
	c.Add(access.MaxIdentityCache)
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "disabled elsewhere, cache bound passed: got %v", err)
	_, _, err = other.SessionIdentity(ctx, res.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "the disabling service: got %v", err)
}
