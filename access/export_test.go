package access

import "time"

// SnapshotUser exposes snapshotUser to the tests of package access_test.
func (s *Service) SnapshotUser(login Login, now time.Time) (User, bool) {
	return s.snapshotUser(login, now)
}

// CachedIdentityAt is when the cached identity of session hash h was read (ok false: none
// cached).
func (s *Service) CachedIdentityAt(h string) (time.Time, bool) {
	s.identMu.Lock()
	defer s.identMu.Unlock()
	c, ok := s.idents[h]
	return c.at, ok
}

// SetKeepAlive sets how long after its last request a browser's identity is kept fresh.
func (s *Service) SetKeepAlive(d time.Duration) {
	s.identMu.Lock()
	s.keepAlive = d
	s.identMu.Unlock()
}

// WaitTouches waits for the LastSeen writes in flight.
func (s *Service) WaitTouches() { s.touchesWG.Wait() }
