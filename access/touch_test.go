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

// TestTouchAfterTheAnswer: a request a minute after the last one records the session's
// LastSeen after it is answered (the write is not on the request's path); the session
// is not idle meanwhile; and a session ended or disabled while a touch is being written
// is refused at once and stays refused once the touch is written.
func TestTouchAfterTheAnswer(t *testing.T) {
	c := newClock()
	store := chtest.New(t)
	s, err := access.New(access.Config{Store: store, Now: c.Now})
	require.NoError(t, err)
	ctx := ctxT()
	addUser(t, s, access.AddUserParams{Login: "dep1", Role: access.RoleDepartment, Department: "D1"})
	addUser(t, s, access.AddUserParams{Login: "dep2", Role: access.RoleDepartment, Department: "D2"})

	res, err := s.SignIn(ctx, "dep1", "a long enough password", "127.0.0.1")
	require.NoError(t, err)
	// requests every 20 minutes keep the session: each touch counts at once, written or not
	for i := 0; i < 3; i++ {
		c.Add(20 * time.Minute)
		_, _, err = s.SessionIdentity(ctx, res.Cookie)
		require.NoError(t, err, "after %d×20 min of activity", i+1)
	}
	s.WaitTouches()
	stored, err := store.Session(ctx, res.Session.Hash)
	require.NoError(t, err)
	assert.WithinDuration(t, c.Now(), stored.LastSeen, time.Second, "the last touch is written")

	// sign-out while a touch is in flight
	c.Add(2 * time.Minute)
	_, _, err = s.SessionIdentity(ctx, res.Cookie) // touches
	require.NoError(t, err)
	require.NoError(t, s.SignOut(ctx, res.Cookie, "127.0.0.1"))
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "signed out, at once: got %v", err)
	s.WaitTouches()
	_, _, err = s.SessionIdentity(ctx, res.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "signed out, the touch written: got %v", err)
	stored, err = store.Session(ctx, res.Session.Hash)
	require.NoError(t, err)
	assert.False(t, stored.EndedAt.IsZero(), "the session stays ended whatever the touch wrote")

	// disable while a touch is in flight
	res2, err := s.SignIn(ctx, "dep2", "a long enough password", "127.0.0.1")
	require.NoError(t, err)
	c.Add(2 * time.Minute)
	_, _, err = s.SessionIdentity(ctx, res2.Cookie) // touches
	require.NoError(t, err)
	require.NoError(t, s.DisableUser(ctx, "dep2", admin(), ""))
	_, _, err = s.SessionIdentity(ctx, res2.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "disabled, at once: got %v", err)
	s.WaitTouches()
	_, _, err = s.SessionIdentity(ctx, res2.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "disabled, the touch written: got %v", err)
	c.Add(3 * time.Second) // past the identity cache: read from the store
	_, _, err = s.SessionIdentity(ctx, res2.Cookie)
	assert.True(t, errors.Is(err, access.ErrUnauthenticated), "disabled, read again: got %v", err)

}
