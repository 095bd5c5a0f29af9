package access

import "time"

// SnapshotUser exposes snapshotUser to the tests of package access_test.
func (s *Service) SnapshotUser(login Login, now time.Time) (User, bool) {
	return s.snapshotUser(login, now)
}
