// Package access owns who may do what in cloudbill: the accounts of the portal (users with
// a role bound to a department or a vendor), their passwords (argon2id), browser sessions,
// access tokens (personal tokens of a user, collector tokens of a vendor), the audit
// events, and the ONE scope function (Identity.May) that every handler and every file
// served asks.
//
// Secrets are never stored in clear: passwords as argon2id hashes, session ids and tokens
// as the SHA-256 of a 256-bit random value. A token is shown once, when created.
//
// The package reads and writes through the Store interface it declares; the ClickHouse
// adapter (package chstore) satisfies it.
package access

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"cloudbill/catalog"
)

// Role is what an account is for.
type Role string

const (
	// RoleDepartment sees its department and the department's subordinate units.
	RoleDepartment Role = "department"
	// RoleVendor sees its settlement, deductions and reconciliations; uploads invoices.
	RoleVendor Role = "vendor"
	// RoleFinance (区财政局) sees everything, closes months; read-only on master data.
	RoleFinance Role = "finance"
	// RoleBureau (区大数据发展局) sees everything and may do everything.
	RoleBureau Role = "bureau"
)

// Roles returns every role, in the order the docs give them.
func Roles() []Role { return []Role{RoleDepartment, RoleVendor, RoleFinance, RoleBureau} }

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q: want department, vendor, finance or bureau", s)
}

// Label is the role's Chinese name, for the portal.
func (r Role) Label() string {
	switch r {
	case RoleDepartment:
		return "政务部门"
	case RoleVendor:
		return "云服务商"
	case RoleFinance:
		return "区财政局"
	case RoleBureau:
		return "区大数据发展局"
	}
	return string(r)
}

// Login names an account.
type Login string

var loginRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ParseLogin checks an account name: letters, digits and . _ @ -, at most 64, starting
// with a letter or digit.
func ParseLogin(s string) (Login, error) {
	if !loginRE.MatchString(s) {
		return "", fmt.Errorf("login %q: want 1–64 letters, digits, '.', '_', '@' or '-'", s)
	}
	return Login(s), nil
}

// User is an account of the portal.
type User struct {
	Login Login
	Role  Role
	// Department is set for RoleDepartment, Vendor for RoleVendor; both empty otherwise.
	Department catalog.DepartmentID
	Vendor     catalog.VendorID
	// PasswordHash is the encoded argon2id hash (HashPassword); never the password.
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	// UpdatedAt orders the versions of an account (the store keeps the latest).
	UpdatedAt time.Time
}

// Validate checks that the role and its binding agree.
func (u User) Validate() error {
	if _, err := ParseLogin(string(u.Login)); err != nil {
		return err
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		return err
	}
	switch u.Role {
	case RoleDepartment:
		if u.Department == "" || u.Vendor != "" {
			return fmt.Errorf("user %s: role department needs --department ID (and no --vendor)", u.Login)
		}
	case RoleVendor:
		if u.Vendor == "" || u.Department != "" {
			return fmt.Errorf("user %s: role vendor needs --vendor ID (and no --department)", u.Login)
		}
	default:
		if u.Department != "" || u.Vendor != "" {
			return fmt.Errorf("user %s: role %s sees everything: no --department or --vendor", u.Login, u.Role)
		}
	}
	return nil
}

// TokenKind says whom a token stands for.
type TokenKind string

const (
	// TokenPersonal stands for a user (the JSON API of the portal), with the user's scope.
	TokenPersonal TokenKind = "personal"
	// TokenCollector stands for one vendor's collector: it may send usage samples of that
	// vendor (POST /v1/samples) and nothing else.
	TokenCollector TokenKind = "collector"
)

// Token is a stored access token: its id and hash, never the token itself.
type Token struct {
	// ID is the public part of the token (also printed by `tokens list`).
	ID   string
	Kind TokenKind
	// Login is the user of a personal token; Vendor the vendor of a collector token.
	Login  Login
	Vendor catalog.VendorID
	// Hash is the hex SHA-256 of the whole token string.
	Hash      string
	CreatedAt time.Time
	// ExpiresAt zero: never expires.
	ExpiresAt time.Time
	// RevokedAt zero: not revoked.
	RevokedAt time.Time
	// Note says what the token is for (free text, may be empty).
	Note string
}

// Active reports whether the token may be used at t.
func (t Token) Active(at time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || at.Before(t.ExpiresAt))
}

// State is "active", "expired" or "revoked" at t.
func (t Token) State(at time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.ExpiresAt.IsZero() && !at.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// Session is a signed-in browser.
type Session struct {
	// Hash is the hex SHA-256 of the cookie value (the id is never stored).
	Hash  string
	Login Login
	// CSRF is the token every state-changing form of this session must carry.
	CSRF      string
	CreatedAt time.Time
	// LastSeen is the last request (updated at most once a minute); the session ends
	// after Config.IdleTimeout without one.
	LastSeen time.Time
	// EndedAt non-zero: signed out, disabled or expired.
	EndedAt time.Time
	Remote  string
}

// Errors, checked with errors.Is.
var (
	// ErrUnauthenticated: no valid session or token (HTTP 401). Deliberately vague.
	ErrUnauthenticated = errors.New("not signed in or token not valid")
	// ErrBadCredentials: wrong login or password (the two are not told apart).
	ErrBadCredentials = errors.New("wrong login or password")
	// ErrThrottled: too many failed sign-ins; try again later.
	ErrThrottled = errors.New("too many failed sign-ins")
	// ErrNotFound: no such user or token.
	ErrNotFound = errors.New("not found")
	// ErrExists: the login is taken.
	ErrExists = errors.New("already exists")
	// ErrForbidden: outside the identity's scope (HTTP 403).
	ErrForbidden = errors.New("outside your scope")
)
