package access

import (
	"context"
	"time"
)

// The accounts of signed-in browsers are read together: one read of every account serves
// all sessions for less than IdentityCache (read again in the background once a quarter of
// it has passed, while browsers are signed in), instead of one read per session each time
// its cached identity expires (50 signed-in browsers made 25 reads a second, and each
// request waited for its own). An account changed by this service drops the snapshot; one
// changed by another process shows within IdentityCache, as before.

// snapshotUser is login's account as read less than IdentityCache ago (by the service's
// clock), or ok false (no snapshot that fresh, or the login not in it).
func (s *Service) snapshotUser(login Login, now time.Time) (User, bool) {
	if s.cfg.IdentityCache <= 0 {
		return User{}, false
	}
	s.usersMu.Lock()
	defer s.usersMu.Unlock()
	age := now.Sub(s.usersAt)
	if (s.users == nil || age < 0 || age >= s.cfg.IdentityCache/refreshAt) && !s.usersReading {
		s.usersReading = true
		go s.readUsers(s.usersGen)
	}
	if s.users == nil || age < 0 || age >= s.cfg.IdentityCache {
		return User{}, false
	}
	u, ok := s.users[login]
	return u, ok
}

// readUsers reads every account; the snapshot is kept unless dropped since gen.
func (s *Service) readUsers(gen int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	at := s.now() // before the read: the snapshot is at least as fresh as this
	us, err := s.cfg.Store.Users(ctx)
	s.usersMu.Lock()
	defer s.usersMu.Unlock()
	s.usersReading = false
	if err != nil || gen != s.usersGen {
		return
	}
	m := make(map[Login]User, len(us))
	for _, u := range us {
		m[u.Login] = u
	}
	s.users, s.usersAt = m, at
}

// dropUsers forgets the snapshot (an account changed here).
func (s *Service) dropUsers() {
	s.usersMu.Lock()
	s.users = nil
	s.usersGen++
	s.usersMu.Unlock()
}

// putUser writes a version of an account and drops the snapshot.
func (s *Service) putUser(ctx context.Context, u User) error {
	defer s.dropUsers()
	return s.cfg.Store.PutUser(ctx, u)
}

// usersFresh is every account as read less than a quarter of IdentityCache before at (the
// snapshot), else read now and kept as the snapshot: a batch of identities read again
// (refreshBatch) reads the accounts with one query, not one per login.
func (s *Service) usersFresh(ctx context.Context, at time.Time) (map[Login]User, error) {
	s.usersMu.Lock()
	age := at.Sub(s.usersAt)
	if s.users != nil && age >= 0 && age < s.cfg.IdentityCache/refreshAt {
		m := s.users
		s.usersMu.Unlock()
		return m, nil
	}
	gen := s.usersGen
	s.usersMu.Unlock()
	us, err := s.cfg.Store.Users(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[Login]User, len(us))
	for _, u := range us {
		m[u.Login] = u
	}
	s.usersMu.Lock()
	if gen == s.usersGen && !at.Before(s.usersAt) {
		s.users, s.usersAt = m, at
	}
	s.usersMu.Unlock()
	return m, nil
}
