package access_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/sql/chtest"
)

// TestUsersSnapshot: the accounts of signed-in browsers come from one read of every
// account, never older than MaxIdentityCache; past a quarter of it a read in the background
// catches up with a change made elsewhere; a change made by the service drops it at once.
func TestUsersSnapshot(t *testing.T) {
	c := newClock()
	ctx := ctxT()
	store := chtest.New(t)
	s, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	other, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	addUser(t, s, access.AddUserParams{Login: "dep2", Role: access.RoleDepartment, Department: "D2"})
	var u access.User
	var ok bool
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for !cond() {
			require.True(t, time.Now().Before(deadline), "waited 2 minutes for %s", what)
			time.Sleep(10 * time.Millisecond)
		}
	}
	snap := func() bool { u, ok = s.SnapshotUser("dep2", c.Now()); return ok }

	waitFor("the first snapshot", snap)
	assert.False(t, u.Disabled)

	require.NoError(t, other.DisableUser(ctx, "dep2", admin(), ""))
	c.Add(access.MaxIdentityCache / 2)
	waitFor("the disable made elsewhere", func() bool { return snap() && u.Disabled })

	c.Add(access.MaxIdentityCache)
	_, ok = s.SnapshotUser("dep2", c.Now())
	assert.False(t, ok, "older than MaxIdentityCache: never used")
	waitFor("a new snapshot", snap)

	require.NoError(t, s.EnableUser(ctx, "dep2", admin(), ""))
	_, ok = s.SnapshotUser("dep2", c.Now())
	assert.False(t, ok, "an account changed by this service drops the snapshot")
	waitFor("the enable", func() bool { return snap() && !u.Disabled })
}

// TestIdentityRefreshedAhead: a browser's cached identity past a quarter of MaxIdentityCache is
// read again in the background; a disable made elsewhere meanwhile refuses the session
// before the bound has passed (the clock never reaches it here).
func TestIdentityRefreshedAhead(t *testing.T) {
	c := newClock()
	ctx := ctxT()
	store := chtest.New(t)
	s, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	other, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	addUser(t, s, access.AddUserParams{Login: "dep3", Role: access.RoleDepartment, Department: "D3"})
	res, err := s.SignIn(ctx, "dep3", "a long enough password", "127.0.0.1")
	require.NoError(t, err)
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	require.NoError(t, err)
	require.NoError(t, other.DisableUser(ctx, "dep3", admin(), ""))
	c.Add(access.MaxIdentityCache / 2)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, _, err = s.SessionIdentity(ctx, res.Cookie)
		if errors.Is(err, access.ErrUnauthenticated) {
			break
		}
		require.NoError(t, err, "within the bound the cached identity may still answer")
		require.True(t, time.Now().Before(deadline), "waited 2 minutes for the background read")
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIdentityKeptAlive: a browser that asked lately keeps a fresh identity without asking
// again: past a quarter of MaxIdentityCache its session and account are read again in the
// background (its next request reads nothing), and a disable made elsewhere drops it
// before any request.
func TestIdentityKeptAlive(t *testing.T) {
	c := newClock()
	ctx := ctxT()
	store := chtest.New(t)
	s, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	s.SetKeepAlive(10 * time.Minute) // the loaded machine's reads take seconds
	other, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	addUser(t, s, access.AddUserParams{Login: "dep4", Role: access.RoleDepartment, Department: "D4"})
	res, err := s.SignIn(ctx, "dep4", "a long enough password", "127.0.0.1")
	require.NoError(t, err)
	h := access.HashSecret(res.Cookie)
	at0, ok := s.CachedIdentityAt(h)
	require.True(t, ok, "the sign-in keeps the session it wrote")
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for !cond() {
			require.True(t, time.Now().Before(deadline), "waited 2 minutes for %s", what)
			time.Sleep(10 * time.Millisecond)
		}
	}
	c.Add(access.MaxIdentityCache / 2)
	waitFor("the identity read again without a request", func() bool {
		at, ok := s.CachedIdentityAt(h)
		return ok && at.After(at0)
	})
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	require.NoError(t, err)

	require.NoError(t, other.DisableUser(ctx, "dep4", admin(), ""))
	c.Add(access.MaxIdentityCache / 2)
	waitFor("the disable made elsewhere to drop the identity", func() bool {
		_, ok := s.CachedIdentityAt(h)
		return !ok
	})
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	assert.ErrorIs(t, err, access.ErrUnauthenticated)
}
