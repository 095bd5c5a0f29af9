package chstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/access"
	"cloudbill/catalog"
)

// The store keeps accounts, sessions, tokens and the audit log (migration 0060).
var _ access.Store = (*Store)(nil)

// noTime is how a missing time (no expiry, not revoked, not ended) is stored.
var noTime = time.Unix(0, 0).UTC()

func putTime(t time.Time) time.Time {
	if t.IsZero() {
		return noTime
	}
	return t.UTC()
}

func getTime(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

// versionSeq makes versions strictly increasing within a process even when two writes
// fall in the same nanosecond.
var versionSeq atomic.Uint64

// version orders the versions of a record: wall-clock nanoseconds, strictly increasing
// within the process.
func version() uint64 {
	v := uint64(time.Now().UnixNano())
	for {
		last := versionSeq.Load()
		if v <= last {
			v = last + 1
		}
		if versionSeq.CompareAndSwap(last, v) {
			return v
		}
	}
}

// PutUser writes a version of an account.
func (s *Store) PutUser(ctx context.Context, u access.User) error {
	return s.insertRow(ctx, "INSERT INTO users (login, role, department_id, vendor_id, password_hash, disabled, created_at, updated_at, version)",
		string(u.Login), string(u.Role), string(u.Department), string(u.Vendor), u.PasswordHash, flag(u.Disabled),
		putTime(u.CreatedAt), putTime(u.UpdatedAt), version())
}

// usersQuery selects the latest version of every account, or of one login.
func usersQuery(login access.Login) (string, []any) {
	q := `SELECT login, argMax(role, version), argMax(department_id, version), argMax(vendor_id, version),
       argMax(password_hash, version), argMax(disabled, version), min(created_at), max(updated_at)
FROM users`
	var args []any
	if login != "" {
		q += " WHERE login = ?"
		args = append(args, string(login))
	}
	return q + " GROUP BY login ORDER BY login", args
}

func (s *Store) users(ctx context.Context, login access.Login) ([]access.User, error) {
	q, args := usersQuery(login)
	var out []access.User
	err := s.scan(ctx, q, func(r driver.Rows) error {
		var u access.User
		var login, role, dep, ven string
		var disabled uint8
		if err := r.Scan(&login, &role, &dep, &ven, &u.PasswordHash, &disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
			return err
		}
		u.Login, u.Role, u.Department, u.Vendor, u.Disabled = access.Login(login), access.Role(role), catalog.DepartmentID(dep), catalog.VendorID(ven), disabled == 1
		out = append(out, u)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	return out, nil
}

// User is the latest version of an account (access.ErrNotFound if none).
func (s *Store) User(ctx context.Context, login access.Login) (access.User, error) {
	us, err := s.users(ctx, login)
	if err != nil {
		return access.User{}, err
	}
	if len(us) == 0 {
		return access.User{}, access.ErrNotFound
	}
	return us[0], nil
}

// Users lists the accounts by login.
func (s *Store) Users(ctx context.Context) ([]access.User, error) { return s.users(ctx, "") }

// PutToken writes a version of a token.
func (s *Store) PutToken(ctx context.Context, t access.Token) error {
	return s.insertRow(ctx, "INSERT INTO access_tokens (id, kind, login, vendor_id, hash, note, created_at, expires_at, revoked_at, version)",
		t.ID, string(t.Kind), string(t.Login), string(t.Vendor), t.Hash, t.Note,
		putTime(t.CreatedAt), putTime(t.ExpiresAt), putTime(t.RevokedAt), version())
}

// tokensQuery selects the latest version of every token, or of one id. A token once
// revoked stays revoked, whatever version came later (max of revoked_at).
func tokensQuery(id string) (string, []any) {
	q := `SELECT id, argMax(kind, version), argMax(login, version), argMax(vendor_id, version), argMax(hash, version),
       argMax(note, version), min(created_at), argMax(expires_at, version), max(revoked_at)
FROM access_tokens`
	var args []any
	if id != "" {
		q += " WHERE id = ?"
		args = append(args, id)
	}
	return q + " GROUP BY id ORDER BY min(created_at), min(version)", args
}

func (s *Store) tokens(ctx context.Context, id string) ([]access.Token, error) {
	q, args := tokensQuery(id)
	var out []access.Token
	err := s.scan(ctx, q, func(r driver.Rows) error {
		var t access.Token
		var kind, login, ven string
		if err := r.Scan(&t.ID, &kind, &login, &ven, &t.Hash, &t.Note, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt); err != nil {
			return err
		}
		t.Kind, t.Login, t.Vendor = access.TokenKind(kind), access.Login(login), catalog.VendorID(ven)
		t.CreatedAt, t.ExpiresAt, t.RevokedAt = getTime(t.CreatedAt), getTime(t.ExpiresAt), getTime(t.RevokedAt)
		out = append(out, t)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	return out, nil
}

// Token is the latest version of a token (access.ErrNotFound if none).
func (s *Store) Token(ctx context.Context, id string) (access.Token, error) {
	ts, err := s.tokens(ctx, id)
	if err != nil {
		return access.Token{}, err
	}
	if len(ts) == 0 {
		return access.Token{}, access.ErrNotFound
	}
	return ts[0], nil
}

// Tokens lists every token, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]access.Token, error) { return s.tokens(ctx, "") }

// PutSession writes a version of a session.
func (s *Store) PutSession(ctx context.Context, se access.Session) error {
	return s.insertRow(ctx, "INSERT INTO sessions (hash, login, csrf, created_at, last_seen, ended_at, remote, version)",
		se.Hash, string(se.Login), se.CSRF, putTime(se.CreatedAt), putTime(se.LastSeen), putTime(se.EndedAt), se.Remote, version())
}

// sessionsQuery selects sessions by hash or by login (latest versions). A session once
// ended stays ended (max of ended_at), whatever a later touch wrote.
func sessionsQuery(hash string, login access.Login) (string, []any) {
	q := `SELECT hash, argMax(login, version), argMax(csrf, version), min(created_at), max(last_seen), max(ended_at), argMax(remote, version)
FROM sessions`
	var args []any
	switch {
	case hash != "":
		q += " WHERE hash = ?"
		args = append(args, hash)
	case login != "":
		q += " WHERE login = ?"
		args = append(args, string(login))
	}
	return q + " GROUP BY hash", args
}

func (s *Store) sessions(ctx context.Context, hash string, login access.Login) ([]access.Session, error) {
	q, args := sessionsQuery(hash, login)
	var out []access.Session
	err := s.scan(ctx, q, func(r driver.Rows) error {
		var se access.Session
		var login string
		if err := r.Scan(&se.Hash, &login, &se.CSRF, &se.CreatedAt, &se.LastSeen, &se.EndedAt, &se.Remote); err != nil {
			return err
		}
		se.Login = access.Login(login)
		se.CreatedAt, se.LastSeen, se.EndedAt = getTime(se.CreatedAt), getTime(se.LastSeen), getTime(se.EndedAt)
		out = append(out, se)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	return out, nil
}

// sessionsByHashQuery selects the sessions of some hashes (latest versions, an ended
// session staying ended), as sessionsQuery does one: the portal reads every signed-in
// browser's session in one query.
type sessionsByHashQuery struct{ hashes []string }

func (q sessionsByHashQuery) toSQL() (string, []any) {
	return `SELECT hash, argMax(login, version), argMax(csrf, version), min(created_at), max(last_seen), max(ended_at), argMax(remote, version)
FROM sessions WHERE has(?, hash) GROUP BY hash`, []any{q.hashes}
}

func (q sessionsByHashQuery) scan(r driver.Rows) (access.Session, error) {
	var se access.Session
	var login string
	if err := r.Scan(&se.Hash, &login, &se.CSRF, &se.CreatedAt, &se.LastSeen, &se.EndedAt, &se.Remote); err != nil {
		return se, err
	}
	se.Login = access.Login(login)
	se.CreatedAt, se.LastSeen, se.EndedAt = getTime(se.CreatedAt), getTime(se.LastSeen), getTime(se.EndedAt)
	return se, nil
}

// Sessions is the latest version of the sessions of hashes (those found, in no order).
func (s *Store) Sessions(ctx context.Context, hashes []string) ([]access.Session, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	q := sessionsByHashQuery{hashes: hashes}
	sqlText, args := q.toSQL()
	var out []access.Session
	err := s.scan(ctx, sqlText, func(r driver.Rows) error {
		se, err := q.scan(r)
		if err != nil {
			return err
		}
		out = append(out, se)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	return out, nil
}

// Session is the latest version of a session (access.ErrNotFound if none).
func (s *Store) Session(ctx context.Context, hash string) (access.Session, error) {
	if hash == "" {
		return access.Session{}, access.ErrNotFound
	}
	ss, err := s.sessions(ctx, hash, "")
	if err != nil {
		return access.Session{}, err
	}
	if len(ss) == 0 {
		return access.Session{}, access.ErrNotFound
	}
	return ss[0], nil
}

// OpenSessions lists the sessions of login that have not ended.
func (s *Store) OpenSessions(ctx context.Context, login access.Login) ([]access.Session, error) {
	if login == "" {
		return nil, errors.New("open sessions: no login")
	}
	ss, err := s.sessions(ctx, "", login)
	if err != nil {
		return nil, err
	}
	var out []access.Session
	for _, se := range ss {
		if se.EndedAt.IsZero() {
			out = append(out, se)
		}
	}
	return out, nil
}

// AppendAudit appends an audit event.
func (s *Store) AppendAudit(ctx context.Context, e access.Event) error {
	return s.insertRow(ctx, "INSERT INTO audit_log (at, seq, actor, role, action, target, outcome, remote, detail)",
		e.At.UTC(), version(), e.Actor, string(e.Role), e.Action, e.Target, e.Outcome, e.Remote, e.Detail)
}

// auditQuery selects a page of audit events, newest first; count: how many match.
type auditQuery struct {
	f     access.AuditFilter
	count bool
}

func (q auditQuery) toSQL() (string, []any) {
	sql := "SELECT at, actor, role, action, target, outcome, remote, detail FROM audit_log"
	if q.count {
		sql = "SELECT count() FROM audit_log"
	}
	var where []string
	var args []any
	f := q.f
	if f.Actor != "" {
		where = append(where, "actor = ?")
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		where = append(where, "action = ?")
		args = append(args, f.Action)
	}
	if !f.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where = append(where, "at < ?")
		args = append(args, f.To.UTC())
	}
	for i, w := range where {
		if i == 0 {
			sql += " WHERE " + w
		} else {
			sql += " AND " + w
		}
	}
	if q.count {
		return sql, args
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	return sql + fmt.Sprintf(" ORDER BY at DESC, seq DESC LIMIT %d, %d", max(f.Offset, 0), limit), args
}

// Audit reads audit events, newest first.
func (s *Store) Audit(ctx context.Context, f access.AuditFilter) ([]access.Event, error) {
	q, args := auditQuery{f: f}.toSQL()
	var out []access.Event
	err := s.scan(ctx, q, func(r driver.Rows) error {
		var e access.Event
		var role string
		if err := r.Scan(&e.At, &e.Actor, &role, &e.Action, &e.Target, &e.Outcome, &e.Remote, &e.Detail); err != nil {
			return err
		}
		e.Role = access.Role(role)
		out = append(out, e)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// AuditCount is the number of audit events f selects (its Limit and Offset aside).
func (s *Store) AuditCount(ctx context.Context, f access.AuditFilter) (int, error) {
	q, args := auditQuery{f: f, count: true}.toSQL()
	var n uint64
	err := s.scan(ctx, q, func(r driver.Rows) error { return r.Scan(&n) }, args...)
	if err != nil {
		return 0, fmt.Errorf("count audit log: %w", err)
	}
	return int(n), nil
}
