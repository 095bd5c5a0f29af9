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
	return s.insertOne(ctx, userInsert{u: u, version: version()})
}

// userInsert writes a version of an account.
type userInsert struct {
	u       access.User
	version uint64
}

func (q userInsert) toSQL() (string, []any) {
	u := q.u
	return "INSERT INTO users (login, role, department_id, vendor_id, password_hash, disabled, created_at, updated_at, version)",
		[]any{string(u.Login), string(u.Role), string(u.Department), string(u.Vendor), u.PasswordHash, flag(u.Disabled),
			putTime(u.CreatedAt), putTime(u.UpdatedAt), q.version}
}

// usersQuery selects the latest version of every account, or of one login.
type usersQuery struct{ login access.Login }

func (q usersQuery) toSQL() (string, []any) {
	sql := `SELECT login, argMax(role, version), argMax(department_id, version), argMax(vendor_id, version),
       argMax(password_hash, version), argMax(disabled, version), min(created_at), max(updated_at)
FROM users`
	var args []any
	if q.login != "" {
		sql += " WHERE login = ?"
		args = append(args, string(q.login))
	}
	return sql + " GROUP BY login ORDER BY login", args
}

func (usersQuery) scan(rows driver.Rows) ([]access.User, error) {
	var out []access.User
	for rows.Next() {
		var u access.User
		var login, role, dep, ven string
		var disabled uint8
		if err := rows.Scan(&login, &role, &dep, &ven, &u.PasswordHash, &disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
			return nil, err
		}
		u.Login, u.Role, u.Department, u.Vendor, u.Disabled = access.Login(login), access.Role(role), catalog.DepartmentID(dep), catalog.VendorID(ven), disabled == 1
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *Store) users(ctx context.Context, login access.Login) ([]access.User, error) {
	out, err := runQuery(ctx, s.conn, usersQuery{login: login})
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
	return s.insertOne(ctx, tokenInsert{t: t, version: version()})
}

// tokenInsert writes a version of a token.
type tokenInsert struct {
	t       access.Token
	version uint64
}

func (q tokenInsert) toSQL() (string, []any) {
	t := q.t
	return "INSERT INTO access_tokens (id, kind, login, vendor_id, hash, note, created_at, expires_at, revoked_at, version)",
		[]any{t.ID, string(t.Kind), string(t.Login), string(t.Vendor), t.Hash, t.Note,
			putTime(t.CreatedAt), putTime(t.ExpiresAt), putTime(t.RevokedAt), q.version}
}

// tokensQuery selects the latest version of every token, or of one id. A token once
// revoked stays revoked, whatever version came later (max of revoked_at).
type tokensQuery struct{ id string }

func (q tokensQuery) toSQL() (string, []any) {
	sql := `SELECT id, argMax(kind, version), argMax(login, version), argMax(vendor_id, version), argMax(hash, version),
       argMax(note, version), min(created_at), argMax(expires_at, version), max(revoked_at)
FROM access_tokens`
	var args []any
	if q.id != "" {
		sql += " WHERE id = ?"
		args = append(args, q.id)
	}
	return sql + " GROUP BY id ORDER BY min(created_at), min(version)", args
}

func (tokensQuery) scan(rows driver.Rows) ([]access.Token, error) {
	var out []access.Token
	for rows.Next() {
		var t access.Token
		var kind, login, ven string
		if err := rows.Scan(&t.ID, &kind, &login, &ven, &t.Hash, &t.Note, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt); err != nil {
			return nil, err
		}
		t.Kind, t.Login, t.Vendor = access.TokenKind(kind), access.Login(login), catalog.VendorID(ven)
		t.CreatedAt, t.ExpiresAt, t.RevokedAt = getTime(t.CreatedAt), getTime(t.ExpiresAt), getTime(t.RevokedAt)
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *Store) tokens(ctx context.Context, id string) ([]access.Token, error) {
	out, err := runQuery(ctx, s.conn, tokensQuery{id: id})
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
	return s.insertOne(ctx, sessionInsert{se: se, version: version()})
}

// sessionInsert writes a version of a session.
type sessionInsert struct {
	se      access.Session
	version uint64
}

func (q sessionInsert) toSQL() (string, []any) {
	se := q.se
	return "INSERT INTO sessions (hash, login, csrf, created_at, last_seen, ended_at, remote, version)",
		[]any{se.Hash, string(se.Login), se.CSRF, putTime(se.CreatedAt), putTime(se.LastSeen), putTime(se.EndedAt), se.Remote, q.version}
}

// sessionsQuery selects sessions by hash or by login (latest versions). A session once
// ended stays ended (max of ended_at), whatever a later touch wrote.
type sessionsQuery struct {
	hash  string
	login access.Login
}

func (q sessionsQuery) toSQL() (string, []any) {
	sql := `SELECT hash, argMax(login, version), argMax(csrf, version), min(created_at), max(last_seen), max(ended_at), argMax(remote, version)
FROM sessions`
	var args []any
	switch {
	case q.hash != "":
		sql += " WHERE hash = ?"
		args = append(args, q.hash)
	case q.login != "":
		sql += " WHERE login = ?"
		args = append(args, string(q.login))
	}
	return sql + " GROUP BY hash", args
}

func (sessionsQuery) scan(rows driver.Rows) ([]access.Session, error) { return scanSessions(rows) }

// scanSessions reads the rows of sessionsQuery and sessionsByHashQuery.
func scanSessions(rows driver.Rows) ([]access.Session, error) {
	var out []access.Session
	for rows.Next() {
		var se access.Session
		var login string
		if err := rows.Scan(&se.Hash, &login, &se.CSRF, &se.CreatedAt, &se.LastSeen, &se.EndedAt, &se.Remote); err != nil {
			return nil, err
		}
		se.Login = access.Login(login)
		se.CreatedAt, se.LastSeen, se.EndedAt = getTime(se.CreatedAt), getTime(se.LastSeen), getTime(se.EndedAt)
		out = append(out, se)
	}
	return out, rows.Err()
}

func (s *Store) sessions(ctx context.Context, hash string, login access.Login) ([]access.Session, error) {
	out, err := runQuery(ctx, s.conn, sessionsQuery{hash: hash, login: login})
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

func (sessionsByHashQuery) scan(rows driver.Rows) ([]access.Session, error) {
	return scanSessions(rows)
}

// Sessions is the latest version of the sessions of hashes (those found, in no order).
func (s *Store) Sessions(ctx context.Context, hashes []string) ([]access.Session, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	out, err := runQuery(ctx, s.conn, sessionsByHashQuery{hashes: hashes})
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
	return s.insertOne(ctx, auditInsert{e: e, seq: version()})
}

// auditInsert appends an audit event; seq orders the events of one second.
type auditInsert struct {
	e   access.Event
	seq uint64
}

func (q auditInsert) toSQL() (string, []any) {
	e := q.e
	return "INSERT INTO audit_log (at, seq, actor, role, action, target, outcome, remote, detail)",
		[]any{e.At.UTC(), q.seq, e.Actor, string(e.Role), e.Action, e.Target, e.Outcome, e.Remote, e.Detail}
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

func (auditQuery) scan(rows driver.Rows) ([]access.Event, error) {
	var out []access.Event
	for rows.Next() {
		var e access.Event
		var role string
		if err := rows.Scan(&e.At, &e.Actor, &role, &e.Action, &e.Target, &e.Outcome, &e.Remote, &e.Detail); err != nil {
			return nil, err
		}
		e.Role = access.Role(role)
		out = append(out, e)
	}
	return out, rows.Err()
}

// auditCountQuery counts the audit events of a filter (its Limit and Offset aside).
type auditCountQuery struct{ f access.AuditFilter }

func (q auditCountQuery) toSQL() (string, []any) { return auditQuery{f: q.f, count: true}.toSQL() }

func (auditCountQuery) scan(row driver.Row) (uint64, error) {
	var n uint64
	err := row.Scan(&n)
	return n, err
}

// Audit reads audit events, newest first.
func (s *Store) Audit(ctx context.Context, f access.AuditFilter) ([]access.Event, error) {
	out, err := runQuery(ctx, s.conn, auditQuery{f: f})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// AuditCount is the number of audit events f selects (its Limit and Offset aside).
func (s *Store) AuditCount(ctx context.Context, f access.AuditFilter) (int, error) {
	n, err := runRow(ctx, s.conn, auditCountQuery{f: f})
	if err != nil {
		return 0, fmt.Errorf("count audit log: %w", err)
	}
	return int(n), nil
}
