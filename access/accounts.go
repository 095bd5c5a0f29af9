package access

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"cloudbill/catalog"
)

// The account use cases the CLI (cloudbill users) and the portal (/accounts) share: add
// (Service.AddUser), disable, enable, reset a password. Each change is audited; none can
// leave the district without an enabled bureau account, and nobody disables their own
// account.

var (
	// ErrLastBureau: the change would leave no enabled bureau account (nobody could manage
	// accounts from the portal).
	ErrLastBureau = errors.New("the last enabled bureau account cannot be disabled")
	// ErrSelf: an account does not disable itself (self-lockout).
	ErrSelf = errors.New("an account cannot disable itself")
)

// CheckBinding says whether u's department or vendor exists in org.
func CheckBinding(u User, org catalog.Org) error {
	if u.Department != "" {
		if _, ok := org.Departments[u.Department]; !ok {
			return fmt.Errorf("department %s: unknown department (import it with cloudbill org import)", u.Department)
		}
	}
	if u.Vendor != "" {
		if _, ok := org.Vendors[u.Vendor]; !ok {
			return fmt.Errorf("vendor %s: unknown vendor (import it with cloudbill org import)", u.Vendor)
		}
	}
	return nil
}

// mayDisable refuses disabling one's own account and the last enabled bureau account.
func (s *Service) mayDisable(ctx context.Context, u User, by Identity) error {
	if by.Login != "" && by.Login == u.Login {
		return fmt.Errorf("disable %s: %w", u.Login, ErrSelf)
	}
	if u.Role != RoleBureau || u.Disabled {
		return nil
	}
	users, err := s.cfg.Store.Users(ctx)
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.Role == RoleBureau && !o.Disabled && o.Login != u.Login {
			return nil
		}
	}
	return fmt.Errorf("disable %s: %w", u.Login, ErrLastBureau)
}

// EnableUser lets a disabled account sign in again (its ended sessions and revoked tokens
// stay so). Enabling an enabled account is a no-op, not audited.
func (s *Service) EnableUser(ctx context.Context, login Login, by Identity, remote string) error {
	u, err := s.cfg.Store.User(ctx, login)
	if err != nil {
		return fmt.Errorf("user %s: %w", login, err)
	}
	if !u.Disabled {
		return nil
	}
	u.Disabled = false
	u.UpdatedAt = later(s.now().UTC(), u.UpdatedAt)
	if err := s.putUser(ctx, u); err != nil {
		return fmt.Errorf("enable %s: %w", login, err)
	}
	return s.Record(ctx, Event{Actor: by.Name(), Role: by.Role, Action: "user-enable", Target: string(login), Remote: remote})
}

// ResetPassword sets a new password (hashed with argon2id, at least MinPasswordLength
// characters) and ends the account's sessions: whoever knew the old one is signed out.
func (s *Service) ResetPassword(ctx context.Context, login Login, password string, by Identity, remote string) error {
	defer s.forgetSessions("", login)
	u, err := s.cfg.Store.User(ctx, login)
	if err != nil {
		return fmt.Errorf("user %s: %w", login, err)
	}
	h, err := HashPassword(password)
	if err != nil {
		return fmt.Errorf("user %s: %w", login, err)
	}
	now := s.now().UTC()
	u.PasswordHash, u.UpdatedAt = h, later(now, u.UpdatedAt)
	if err := s.putUser(ctx, u); err != nil {
		return fmt.Errorf("reset password of %s: %w", login, err)
	}
	n, err := s.endSessions(ctx, login, now)
	if err != nil {
		return fmt.Errorf("reset password of %s: %w", login, err)
	}
	return s.Record(ctx, Event{Actor: by.Name(), Role: by.Role, Action: "password-reset", Target: string(login), Remote: remote,
		Detail: Details(DetailSessions, "n", strconv.Itoa(n))})
}

// endSessions ends the open sessions of login; it returns how many.
func (s *Service) endSessions(ctx context.Context, login Login, now time.Time) (int, error) {
	sessions, err := s.cfg.Store.OpenSessions(ctx, login)
	if err != nil {
		return 0, fmt.Errorf("sessions: %w", err)
	}
	for _, se := range sessions {
		se.EndedAt = now
		se.LastSeen = later(now, se.LastSeen)
		if err := s.cfg.Store.PutSession(ctx, se); err != nil {
			return 0, fmt.Errorf("end session: %w", err)
		}
	}
	return len(sessions), nil
}

// NewPassword is a random password to hand over once (20 characters, base64url).
func NewPassword() string { return randomString(15) }
