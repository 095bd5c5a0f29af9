package access

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"cloudbill/catalog"
)

// Store is what the access service reads and writes. Every Put writes a new version of
// the record (the store keeps the latest by UpdatedAt / LastSeen); nothing is deleted.
type Store interface {
	PutUser(ctx context.Context, u User) error
	// User is the latest version of an account; ErrNotFound if none.
	User(ctx context.Context, login Login) (User, error)
	Users(ctx context.Context) ([]User, error)

	PutToken(ctx context.Context, t Token) error
	// Token is the latest version of a token by id; ErrNotFound if none.
	Token(ctx context.Context, id string) (Token, error)
	// Tokens lists every token, oldest first.
	Tokens(ctx context.Context) ([]Token, error)

	PutSession(ctx context.Context, s Session) error
	// Session is the latest version of a session by hash; ErrNotFound if none.
	Session(ctx context.Context, hash string) (Session, error)
	// Sessions is the latest version of the sessions of hashes (those found).
	Sessions(ctx context.Context, hashes []string) ([]Session, error)
	// OpenSessions lists the sessions of login not ended.
	OpenSessions(ctx context.Context, login Login) ([]Session, error)

	AppendAudit(ctx context.Context, e Event) error
	Audit(ctx context.Context, f AuditFilter) ([]Event, error)
	// AuditCount is how many events f selects, its Limit and Offset aside.
	AuditCount(ctx context.Context, f AuditFilter) (int, error)
}

// Event is one audited action: who, what, when, from where, and how it ended.
type Event struct {
	At time.Time
	// Actor is Identity.Name() (or the login tried, for a failed sign-in); Role its role.
	Actor string
	Role  Role
	// Action: sign-in, sign-in-failed, sign-in-throttled, sign-out, download, close,
	// upload, user-add, user-disable, token-create, token-revoke, denied.
	Action string
	// Target is what was acted on (a file, a month, a login, a token id).
	Target string
	// Outcome: ok, refused, failed.
	Outcome string
	Remote  string
	Detail  string
}

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	Actor  string    // "" any
	Action string    // "" any
	From   time.Time // zero: any; else events at or after it
	To     time.Time // zero: any; else events before it
	Limit  int       // 0: 500
	Offset int       // events skipped (paging)
}

// Config configures the Service.
type Config struct {
	Store Store
	// Now is the clock; default time.Now.
	Now func() time.Time
	// IdleTimeout ends a session without a request for that long; default 30 minutes.
	IdleTimeout time.Duration
	// MaxSessionAge ends any session that old; default 12 hours.
	MaxSessionAge time.Duration
	// MaxFailures failed sign-ins of a login (4 × MaxFailures from one address) within
	// FailureWindow lock its sign-in for Lockout; defaults 5, 15 minutes, 15 minutes.
	MaxFailures   int
	FailureWindow time.Duration
	Lockout       time.Duration
	// IdentityCache keeps a session and its account in memory for that long after they
	// were read from the store, so that a signed-in browser's requests do not each read
	// them again: default (0) and at most MaxIdentityCache; negative: no cache. Within
	// this process a sign-out or a disable drops the entries at once; a `users disable`
	// run by another process (the CLI) takes effect within this bound.
	IdentityCache time.Duration
	// MaxHashes bounds the password checks (argon2id, 19 MiB each) running at once in
	// this process, whatever the number of sign-ins arriving; default 2. A check waits
	// for a turn at most HashWait (default 5 s), else the sign-in is refused with ErrBusy.
	MaxHashes int
	HashWait  time.Duration
}

// MaxIdentityCache bounds Config.IdentityCache: a disable from another process takes
// effect at most this long after it.
const MaxIdentityCache = 2 * time.Second

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Store == nil {
		return errors.New("access: no store")
	}
	return nil
}

// Service is the access service: accounts, sign-in, sessions, tokens and audit.
type Service struct {
	cfg      Config
	now      func() time.Time
	mu       sync.Mutex
	failures map[string][]time.Time // "login:x" / "addr:y" → recent failures and attempts in progress

	hashes              chan struct{} // a turn to run an argon2id check (MaxHashes)
	hashesNow, hashPeak atomic.Int64

	identMu       sync.Mutex
	idents        map[string]cachedIdentity // session hash → session and account read at
	identsReading bool                      // refreshIdentities is running
	keepAlive     time.Duration             // keepAlive (tests: longer)

	// every account as read at usersAt (users_snapshot.go)
	usersMu      sync.Mutex
	users        map[Login]User
	usersAt      time.Time
	usersGen     int
	usersReading bool

	// touches are the LastSeen writes in flight, by session hash (touch)
	touches   map[string]time.Time
	touchesWG sync.WaitGroup
}

// cachedIdentity is a session and its account as read from the store at a time.
type cachedIdentity struct {
	se Session
	u  User
	at time.Time
	// refreshing: a read in the background is due or under way (refreshIdentities)
	refreshing bool
	// asked: when a request last asked for it (the machine's clock; keepAlive)
	asked time.Time
}

// refreshAt: a cached identity (and the snapshot of every account) is read again in the
// background once 1/refreshAt of IdentityCache has passed, leaving the rest of the bound
// for the read to land under load (a query took over a second on the loaded test machine).
const refreshAt = 4

// cachedSession returns the session of hash h and its account if read less than
// IdentityCache ago (by the service's clock).
func (s *Service) cachedSession(h string, now time.Time) (Session, User, bool) {
	if s.cfg.IdentityCache <= 0 {
		return Session{}, User{}, false
	}
	s.identMu.Lock()
	defer s.identMu.Unlock()
	c, ok := s.idents[h]
	if !ok || now.Before(c.at) || now.Sub(c.at) >= s.cfg.IdentityCache {
		return Session{}, User{}, false
	}
	c.asked = time.Now()
	if now.Sub(c.at) >= s.cfg.IdentityCache/refreshAt && !c.refreshing {
		// a browser still asking: its identity is read again before the entry expires
		// (refreshIdentities), so that its next request finds a fresh one
		c.refreshing = true
	}
	s.idents[h] = c
	s.startRefresher()
	return c.se, c.u, true
}

// keepAlive: the identity of a browser that asked within it is read again in the
// background before its entry expires, request or not (a user reading a page asks again
// seconds later, and would otherwise wait for the read).
const keepAlive = 10 * time.Second

// startRefresher starts refreshIdentities if it is not running. s.identMu is held.
func (s *Service) startRefresher() {
	if !s.identsReading {
		s.identsReading = true
		go s.refreshIdentities()
	}
}

// refreshIdentities keeps the identities of the browsers that asked within keepAlive
// fresh: once one is due (a quarter of IdentityCache old, or marked by a request), the
// sessions of all of them are read again together, in one query, with their accounts (a
// snapshot of every account at most a quarter of IdentityCache old, read with the batch
// when older): one read for all signed-in browsers each quarter of IdentityCache, however
// many requests they make. Each entry is replaced unless it was dropped (sign-out,
// disable) or replaced by a newer read meanwhile; a session that ended or is gone, or an
// account disabled or gone, drops the entry (the next request reads them itself and is
// refused). It ends when no browser has asked within keepAlive.
func (s *Service) refreshIdentities() {
	for {
		s.identMu.Lock()
		now, real := s.now(), time.Now()
		var hashes []string
		due, alive := false, false
		for h, c := range s.idents {
			fresh := !now.Before(c.at) && now.Sub(c.at) < s.cfg.IdentityCache
			if c.refreshing || (fresh && real.Sub(c.asked) < s.keepAlive) {
				alive = true
				hashes = append(hashes, h)
				due = due || c.refreshing || now.Sub(c.at) >= s.cfg.IdentityCache/refreshAt
			}
		}
		if !alive {
			s.identsReading = false
			s.identMu.Unlock()
			return
		}
		if !due {
			s.identMu.Unlock()
			time.Sleep(s.cfg.IdentityCache / (2 * refreshAt))
			continue
		}
		for _, h := range hashes {
			c := s.idents[h]
			c.refreshing = true
			s.idents[h] = c
		}
		s.identMu.Unlock()
		s.refreshBatch(hashes)
	}
}

func (s *Service) refreshBatch(hashes []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	at := s.now() // before the reads: the entries are at least as fresh as this
	// the sessions and the accounts read at once (under load each read takes long)
	var users map[Login]User
	uerr := make(chan error, 1)
	go func() {
		var err error
		users, err = s.usersFresh(ctx, at)
		uerr <- err
	}()
	ss, err := s.cfg.Store.Sessions(ctx, hashes)
	if e := <-uerr; err == nil {
		err = e
	}
	bySession := map[string]Session{}
	if err == nil {
		for _, se := range ss {
			bySession[se.Hash] = se
		}
	}
	s.identMu.Lock()
	defer s.identMu.Unlock()
	for _, h := range hashes {
		c, ok := s.idents[h]
		if !ok || !c.refreshing {
			continue // dropped, or replaced by a newer read
		}
		se, found := bySession[h]
		u := users[se.Login]
		if err != nil || !found || !se.EndedAt.IsZero() || u.Disabled || u.Login != se.Login {
			delete(s.idents, h)
			continue
		}
		if c.se.LastSeen.After(se.LastSeen) {
			se.LastSeen = c.se.LastSeen // a touch written since the read
		}
		s.idents[h] = cachedIdentity{se: se, u: u, at: at, asked: c.asked}
	}
}

// rememberSession caches, under session hash h, a session and its account read at now;
// touched: only the session's LastSeen changed (the entry keeps its read time).
func (s *Service) rememberSession(h string, se Session, u User, now time.Time, touched bool) {
	if s.cfg.IdentityCache <= 0 {
		return
	}
	s.identMu.Lock()
	defer s.identMu.Unlock()
	if touched {
		if c, ok := s.idents[h]; ok {
			c.se = se
			s.idents[h] = c
		}
		return
	}
	if len(s.idents) >= 10000 {
		for k, c := range s.idents {
			if now.Sub(c.at) >= s.cfg.IdentityCache || now.Before(c.at) {
				delete(s.idents, k)
			}
		}
	}
	s.idents[h] = cachedIdentity{se: se, u: u, at: now, asked: time.Now()}
	s.startRefresher()
}

// forgetSessions drops cached sessions: of one session hash, or of every session of a
// login.
func (s *Service) forgetSessions(hash string, login Login) {
	s.identMu.Lock()
	defer s.identMu.Unlock()
	for k, c := range s.idents {
		if k == hash || (login != "" && c.u.Login == login) || (login != "" && c.se.Login == login) {
			delete(s.idents, k)
		}
	}
}

// New makes the service.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.MaxSessionAge <= 0 {
		cfg.MaxSessionAge = 12 * time.Hour
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = 15 * time.Minute
	}
	if cfg.Lockout <= 0 {
		cfg.Lockout = 15 * time.Minute
	}
	if cfg.IdentityCache == 0 || cfg.IdentityCache > MaxIdentityCache {
		cfg.IdentityCache = MaxIdentityCache
	}
	if cfg.MaxHashes <= 0 {
		cfg.MaxHashes = 2
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = 5 * time.Second
	}
	return &Service{cfg: cfg, now: cfg.Now, failures: map[string][]time.Time{}, idents: map[string]cachedIdentity{}, keepAlive: keepAlive,
		hashes: make(chan struct{}, cfg.MaxHashes), touches: map[string]time.Time{}}, nil
}

// IdleTimeout is the configured idle expiry of sessions.
func (s *Service) IdleTimeout() time.Duration { return s.cfg.IdleTimeout }

// Record appends an audit event (its time defaults to now).
func (s *Service) Record(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.Outcome == "" {
		e.Outcome = "ok"
	}
	if err := s.cfg.Store.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit reads audit events, newest first.
func (s *Service) Audit(ctx context.Context, f AuditFilter) ([]Event, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	return s.cfg.Store.Audit(ctx, f)
}

// AuditCount is how many audit events f selects (a page's "of N").
func (s *Service) AuditCount(ctx context.Context, f AuditFilter) (int, error) {
	return s.cfg.Store.AuditCount(ctx, f)
}

// AddUserParams is a new account.
type AddUserParams struct {
	Login      Login
	Role       Role
	Department catalog.DepartmentID
	Vendor     catalog.VendorID
	Password   string
	// Org, when set, must hold the account's department or vendor (CheckBinding).
	Org *catalog.Org
	// By is who adds it (audited).
	By     Identity
	Remote string
}

// AddUser creates an account (ErrExists if the login is taken). The password is hashed
// with argon2id; it is never stored or logged.
func (s *Service) AddUser(ctx context.Context, p AddUserParams) (User, error) {
	now := s.now().UTC()
	u := User{Login: p.Login, Role: p.Role, Department: p.Department, Vendor: p.Vendor, CreatedAt: now, UpdatedAt: now}
	if err := u.Validate(); err != nil {
		return User{}, err
	}
	if p.Org != nil {
		if err := CheckBinding(u, *p.Org); err != nil {
			return User{}, err
		}
	}
	if _, err := s.cfg.Store.User(ctx, p.Login); err == nil {
		return User{}, fmt.Errorf("user %s: %w", p.Login, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	h, err := s.hashPassword(ctx, p.Password)
	if err != nil {
		return User{}, fmt.Errorf("user %s: %w", p.Login, err)
	}
	u.PasswordHash = h
	if err := s.putUser(ctx, u); err != nil {
		return User{}, fmt.Errorf("user %s: %w", p.Login, err)
	}
	detail := Details(DetailAccount, "role", string(u.Role), "department", string(u.Department), "vendor", string(u.Vendor))
	return u, s.Record(ctx, Event{Actor: p.By.Name(), Role: p.By.Role, Action: "user-add", Target: string(u.Login), Remote: p.Remote, Detail: detail})
}

// Users lists the accounts (latest versions), by login.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.cfg.Store.Users(ctx) }

// DisableUser disables an account: its sessions end at once and its personal tokens stop
// working (they are revoked). Disabling a disabled account is a no-op. Refused with
// ErrSelf for the caller's own account and ErrLastBureau for the last enabled bureau
// account (accounts.go).
func (s *Service) DisableUser(ctx context.Context, login Login, by Identity, remote string) error {
	defer s.forgetSessions("", login)
	u, err := s.cfg.Store.User(ctx, login)
	if err != nil {
		return fmt.Errorf("user %s: %w", login, err)
	}
	if err := s.mayDisable(ctx, u, by); err != nil {
		_ = s.Record(ctx, Event{Actor: by.Name(), Role: by.Role, Action: "user-disable", Target: string(login), Outcome: "refused", Remote: remote, Detail: refusedDetail(err)})
		return err
	}
	now := s.now().UTC()
	if !u.Disabled {
		u.Disabled = true
		u.UpdatedAt = later(now, u.UpdatedAt)
		if err := s.putUser(ctx, u); err != nil {
			return fmt.Errorf("disable %s: %w", login, err)
		}
	}
	ended, err := s.endSessions(ctx, login, now)
	if err != nil {
		return fmt.Errorf("disable %s: %w", login, err)
	}
	toks, err := s.cfg.Store.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if t.Kind == TokenPersonal && t.Login == login && t.RevokedAt.IsZero() {
			t.RevokedAt = now
			if err := s.cfg.Store.PutToken(ctx, t); err != nil {
				return fmt.Errorf("disable %s: revoke token %s: %w", login, t.ID, err)
			}
		}
	}
	return s.Record(ctx, Event{Actor: by.Name(), Role: by.Role, Action: "user-disable", Target: string(login), Remote: remote,
		Detail: Details(DetailSessions, "n", strconv.Itoa(ended))})
}

// later is a, or just after b when a is not after b (versions must increase).
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b.Add(time.Millisecond)
}

// SignInResult is a new session: Cookie is the value for the browser (never stored).
type SignInResult struct {
	Session Session
	Cookie  string
	User    User
}

// SignIn checks a login and password and opens a session. Wrong login and wrong password
// both give ErrBadCredentials (and take the same time); a disabled account too. After
// MaxFailures failures within FailureWindow, from the login or the address, sign-in is
// refused with ErrThrottled for Lockout, whatever the password. Checking the throttle and
// counting the attempt are one step: an attempt counts as a failure from its start until
// it succeeds, so simultaneous attempts cannot all pass the check before any has failed.
// At most MaxHashes password checks run at once (ErrBusy when no turn comes within
// HashWait). Every attempt is audited.
func (s *Service) SignIn(ctx context.Context, login, password, remote string) (SignInResult, error) {
	now := s.now()
	if !s.attempt(now, login, remote) {
		_ = s.Record(ctx, Event{Actor: login, Action: "sign-in-throttled", Outcome: "refused", Remote: remote})
		return SignInResult{}, ErrThrottled
	}
	l, lerr := ParseLogin(login)
	var u User
	var err error
	if lerr == nil {
		u, err = s.cfg.Store.User(ctx, l)
	}
	if lerr != nil || err != nil {
		if err != nil && !errors.Is(err, ErrNotFound) {
			return SignInResult{}, err
		}
		if _, herr := s.checkPassword(ctx, dummyHash, password); herr != nil {
			return SignInResult{}, herr
		}
		_ = s.Record(ctx, Event{Actor: login, Action: "sign-in-failed", Outcome: "refused", Remote: remote, Detail: Details(DetailRefused, "reason", ReasonUnknownLogin)})
		return SignInResult{}, ErrBadCredentials
	}
	ok, herr := s.checkPassword(ctx, u.PasswordHash, password)
	if herr != nil {
		return SignInResult{}, herr
	}
	if !ok || u.Disabled {
		why := Details(DetailRefused, "reason", ReasonWrongPass)
		if u.Disabled {
			why = Details(DetailRefused, "reason", ReasonDisabled)
		}
		_ = s.Record(ctx, Event{Actor: login, Role: u.Role, Action: "sign-in-failed", Outcome: "refused", Remote: remote, Detail: why})
		return SignInResult{}, ErrBadCredentials
	}
	s.succeeded(now, login, remote)
	cookie := randomString(32)
	se := Session{Hash: HashSecret(cookie), Login: u.Login, CSRF: randomString(32), CreatedAt: now.UTC(), LastSeen: now.UTC(), Remote: remote}
	if err := s.cfg.Store.PutSession(ctx, se); err != nil {
		return SignInResult{}, fmt.Errorf("sign in %s: %w", login, err)
	}
	if err := s.Record(ctx, Event{Actor: login, Role: u.Role, Action: "sign-in", Remote: remote}); err != nil {
		return SignInResult{}, err
	}
	// the session and its account as written and read here: the browser's first request
	// does not read them again
	s.rememberSession(se.Hash, se, u, now, false)
	return SignInResult{Session: se, Cookie: cookie, User: u}, nil
}

// ErrBusy: no turn for a password check came in time (too many sign-ins at once).
var ErrBusy = errors.New("too many sign-ins at once")

// checkPassword runs CheckPassword in one of the MaxHashes turns.
func (s *Service) checkPassword(ctx context.Context, encoded, password string) (bool, error) {
	t := time.NewTimer(s.cfg.HashWait)
	defer t.Stop()
	select {
	case s.hashes <- struct{}{}:
	case <-t.C:
		return false, ErrBusy
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.hashes }()
	n := s.hashesNow.Add(1)
	defer s.hashesNow.Add(-1)
	for {
		peak := s.hashPeak.Load()
		if n <= peak || s.hashPeak.CompareAndSwap(peak, n) {
			break
		}
	}
	return CheckPassword(encoded, password), nil
}

// hashPassword runs HashPassword in one of the MaxHashes turns.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	select {
	case s.hashes <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.hashes }()
	return HashPassword(password)
}

// PasswordChecks tells how many password checks run now and the most that ever ran at
// once in this process (at most Config.MaxHashes).
func (s *Service) PasswordChecks() (now, peak int) {
	return int(s.hashesNow.Load()), int(s.hashPeak.Load())
}

// touchEvery bounds how often a session's LastSeen is written.
const touchEvery = time.Minute

// SessionIdentity authenticates a session cookie: the session must exist, not be ended,
// idle no longer than IdleTimeout, younger than MaxSessionAge, and its account enabled.
// Otherwise ErrUnauthenticated. It records the request (LastSeen, at most once a minute),
// written after it answers (touch).
func (s *Service) SessionIdentity(ctx context.Context, cookie string) (Identity, Session, error) {
	if cookie == "" || len(cookie) > 100 {
		return Identity{}, Session{}, ErrUnauthenticated
	}
	h := HashSecret(cookie)
	now := s.now()
	se, u, cached := s.cachedSession(h, now)
	if !cached {
		var err error
		touched := s.touchedAt(h, time.Time{}) // before the read: a touch written during it is in one or the other
		se, err = s.cfg.Store.Session(ctx, h)
		if errors.Is(err, ErrNotFound) {
			return Identity{}, Session{}, ErrUnauthenticated
		}
		if err != nil {
			return Identity{}, Session{}, err
		}
		if touched.After(se.LastSeen) {
			se.LastSeen = touched
		}
	}
	if !se.EndedAt.IsZero() || now.Sub(se.LastSeen) > s.cfg.IdleTimeout || now.Sub(se.CreatedAt) > s.cfg.MaxSessionAge {
		return Identity{}, Session{}, ErrUnauthenticated
	}
	if !cached {
		var err error
		var ok bool
		if u, ok = s.snapshotUser(se.Login, now); !ok {
			u, err = s.cfg.Store.User(ctx, se.Login)
		}
		if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
			return Identity{}, Session{}, ErrUnauthenticated
		}
		if err != nil {
			return Identity{}, Session{}, err
		}
		s.rememberSession(h, se, u, now, false)
	}
	if u.Disabled {
		return Identity{}, Session{}, ErrUnauthenticated
	}
	if now.Sub(se.LastSeen) >= touchEvery {
		se.LastSeen = later(now.UTC(), se.LastSeen)
		s.touch(se)
		s.rememberSession(h, se, u, now, true)
	}
	id := Identity{Login: u.Login, Role: u.Role, Department: u.Department, Vendor: u.Vendor, Via: ViaSession, SessionHash: se.Hash}
	return id, se, nil
}

// touch writes session se's new LastSeen in the background (a version of the session
// row, as every touch has been): the request does not wait for the write. Until it is
// written, a read of the session here takes its LastSeen from the touch (touchedAt), so
// that a session in use does not look idle. A touch never revives a session: the store
// keeps the latest ended_at of all versions (an end or a disable written before or after
// the touch stands), and a sign-out or disable drops the cached identity at once. A
// failed write drops the cached identity, so that the next request reads the session and
// touches it again.
func (s *Service) touch(se Session) {
	s.identMu.Lock()
	if at, ok := s.touches[se.Hash]; ok && !at.Before(se.LastSeen) {
		s.identMu.Unlock()
		return // written by a touch in flight
	}
	s.touches[se.Hash] = se.LastSeen
	s.identMu.Unlock()
	s.touchesWG.Add(1)
	go func() {
		defer s.touchesWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := s.cfg.Store.PutSession(ctx, se)
		s.identMu.Lock()
		if s.touches[se.Hash].Equal(se.LastSeen) {
			delete(s.touches, se.Hash)
		}
		s.identMu.Unlock()
		if err != nil {
			s.forgetSessions(se.Hash, "")
		}
	}()
}

// touchedAt is lastSeen, or the LastSeen of a touch of session hash h still being
// written when that is later.
func (s *Service) touchedAt(h string, lastSeen time.Time) time.Time {
	s.identMu.Lock()
	defer s.identMu.Unlock()
	if at, ok := s.touches[h]; ok && at.After(lastSeen) {
		return at
	}
	return lastSeen
}

// SignOut ends the session of a cookie (no error if there is none).
func (s *Service) SignOut(ctx context.Context, cookie, remote string) error {
	s.forgetSessions(HashSecret(cookie), "")
	se, err := s.cfg.Store.Session(ctx, HashSecret(cookie))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if se.EndedAt.IsZero() {
		now := s.now().UTC()
		se.EndedAt = now
		se.LastSeen = later(now, se.LastSeen)
		if err := s.cfg.Store.PutSession(ctx, se); err != nil {
			return err
		}
	}
	return s.Record(ctx, Event{Actor: string(se.Login), Action: "sign-out", Remote: remote})
}

// NewToken is a token just created: Secret is the token string, shown once.
type NewToken struct {
	Token  Token
	Secret string
}

// CreatePersonalToken makes a personal token of an enabled user; expires 0: never.
func (s *Service) CreatePersonalToken(ctx context.Context, login Login, expires time.Duration, by Identity) (NewToken, error) {
	u, err := s.cfg.Store.User(ctx, login)
	if err != nil {
		return NewToken{}, fmt.Errorf("user %s: %w", login, err)
	}
	if u.Disabled {
		return NewToken{}, fmt.Errorf("user %s is disabled", login)
	}
	return s.createToken(ctx, Token{Kind: TokenPersonal, Login: login}, expires, by)
}

// CreateCollectorToken makes a collector token of a vendor; expires 0: never.
func (s *Service) CreateCollectorToken(ctx context.Context, vendor catalog.VendorID, expires time.Duration, by Identity) (NewToken, error) {
	if vendor == "" {
		return NewToken{}, errors.New("collector token: no vendor")
	}
	return s.createToken(ctx, Token{Kind: TokenCollector, Vendor: vendor}, expires, by)
}

func (s *Service) createToken(ctx context.Context, t Token, expires time.Duration, by Identity) (NewToken, error) {
	if expires < 0 {
		return NewToken{}, fmt.Errorf("token expiry %s: want a positive duration (or none)", expires)
	}
	now := s.now().UTC()
	id, secret := newTokenString(t.Kind)
	t.ID, t.Hash, t.CreatedAt = id, HashSecret(secret), now
	if expires > 0 {
		t.ExpiresAt = now.Add(expires)
	}
	if err := s.cfg.Store.PutToken(ctx, t); err != nil {
		return NewToken{}, fmt.Errorf("store token: %w", err)
	}
	err := s.Record(ctx, Event{Actor: by.Name(), Role: by.Role, Action: "token-create", Target: t.ID,
		Detail: tokenDetail(t)})
	return NewToken{Token: t, Secret: secret}, err
}

// RevokeToken revokes a token at once (ErrNotFound for an unknown id; revoking a revoked
// token is a no-op).
func (s *Service) RevokeToken(ctx context.Context, id string, by Identity) error {
	t, err := s.cfg.Store.Token(ctx, id)
	if err != nil {
		return fmt.Errorf("token %s: %w", id, err)
	}
	if !t.RevokedAt.IsZero() {
		return nil
	}
	t.RevokedAt = s.now().UTC()
	if err := s.cfg.Store.PutToken(ctx, t); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return s.Record(ctx, Event{Actor: by.Name(), Role: by.Role, Action: "token-revoke", Target: id})
}

// ListTokens lists every token (never the secret), oldest first.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) { return s.cfg.Store.Tokens(ctx) }

// Authenticate checks a bearer token (personal or collector). A token that is unknown,
// malformed, revoked or expired, or a personal token of a disabled account, gives
// ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Identity, error) {
	kind, id, err := parseToken(bearer)
	if err != nil {
		return Identity{}, ErrUnauthenticated
	}
	t, err := s.cfg.Store.Token(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Identity{}, ErrUnauthenticated
	}
	if err != nil {
		return Identity{}, err
	}
	if t.Kind != kind || !sameHash(t.Hash, HashSecret(bearer)) || !t.Active(s.now()) {
		return Identity{}, ErrUnauthenticated
	}
	if t.Kind == TokenCollector {
		return Identity{Vendor: t.Vendor, Via: ViaCollector, TokenID: t.ID}, nil
	}
	u, err := s.cfg.Store.User(ctx, t.Login)
	if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
		return Identity{}, ErrUnauthenticated
	}
	if err != nil {
		return Identity{}, err
	}
	return Identity{Login: u.Login, Role: u.Role, Department: u.Department, Vendor: u.Vendor, Via: ViaPersonal, TokenID: t.ID}, nil
}

// attempt checks the throttle and counts the attempt in one step: false when login or
// remote has its MaxFailures (4 × for an address) failures within FailureWindow, the last
// less than Lockout ago; else the attempt is counted as a failure of both until
// succeeded takes it back.
func (s *Service) attempt(now time.Time, login, remote string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := []string{"login:" + login, "addr:" + remote}
	for _, k := range keys {
		limit := s.cfg.MaxFailures
		if k[0] == 'a' {
			limit *= addrFactor // many people may share an address (a proxy, a NAT)
		}
		fs := s.prune(k, now)
		if len(fs) >= limit && now.Sub(fs[len(fs)-1]) < s.cfg.Lockout {
			return false
		}
	}
	for _, k := range keys {
		s.failures[k] = append(s.failures[k], now)
	}
	return true
}

// addrFactor: an address is locked after addrFactor × MaxFailures failures.
const addrFactor = 4

func (s *Service) prune(k string, now time.Time) []time.Time {
	fs := s.failures[k]
	keep := fs[:0]
	for _, t := range fs {
		if now.Sub(t) < s.cfg.FailureWindow+s.cfg.Lockout {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		delete(s.failures, k)
		return nil
	}
	s.failures[k] = keep
	return keep
}

// succeeded takes back a successful attempt started at now: the login's failures are
// cleared, the address's count loses that attempt.
func (s *Service) succeeded(now time.Time, login, remote string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, "login:"+login)
	k := "addr:" + remote
	fs := s.failures[k]
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].Equal(now) {
			s.failures[k] = append(fs[:i:i], fs[i+1:]...)
			break
		}
	}
	if len(s.failures[k]) == 0 {
		delete(s.failures, k)
	}
}

// Local is the identity of the operator at the server's shell (CLI commands): audited
// as "local:<user>".
func Local(osUser string) Identity {
	if osUser == "" {
		osUser = "operator"
	}
	return Identity{Login: Login("local:" + osUser), Role: RoleBureau, Via: ViaLocal}
}
