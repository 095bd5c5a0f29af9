package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
)

var newPasswordRE = regexp.MustCompile(`id="new-password">([^<]+)<`)

// TestAccounts: the bureau adds an account in the portal (the password shown once signs
// in), resets its password (the old one stops working, its sessions end), disables it
// only once confirmed, enables it again; it cannot disable itself nor the last enabled
// bureau account; every change is in the audit log.
func TestAccounts(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	bur := f.signIn(t, f.bur)

	st, body := bur.post(t, "/accounts", url.Values{"csrf": {bur.csrf}, "login": {"newclerk"}, "role": {"department"}, "department": {string(f.depID)}})
	require.Equal(t, 200, st, body)
	m := newPasswordRE.FindStringSubmatch(body)
	require.NotNil(t, m, "the new password is shown once")
	pw := m[1]
	assert.GreaterOrEqual(t, len(pw), access.MinPasswordLength)
	_, body = bur.get(t, "/accounts")
	assert.Regexp(t, `<tr id="user-newclerk">.*?<td>`+regexp.QuoteMeta(f.org.Departments[f.depID].Name)+`<div class="muted">`+string(f.depID)+`</div>`, body, "the account's department by its name, its code beneath")
	assert.Regexp(t, `<tr id="user-`+f.ven+`">.*?<td>`+regexp.QuoteMeta(f.org.Vendors[f.venID].Name)+`<div class="muted">`+string(f.venID)+`</div>`, body, "the account's vendor by its name")
	clerk := signInWith(t, f, "newclerk", pw)
	st, _ = clerk.get(t, "/api/v1/me")
	require.Equal(t, 200, st)

	for name, form := range map[string]url.Values{
		"taken":              {"login": {"newclerk"}, "role": {"finance"}},
		"no role":            {"login": {"x1"}},
		"department missing": {"login": {"x2"}, "role": {"department"}},
		"unknown vendor":     {"login": {"x3"}, "role": {"vendor"}, "vendor": {"NOPE"}},
		"bad login":          {"login": {"bad login"}, "role": {"finance"}},
	} {
		form.Set("csrf", bur.csrf)
		st, body := bur.post(t, "/accounts", form)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusConflict}, st, name)
		assert.Contains(t, body, `id="nav"`, "%s: the error page has the menu", name)
	}

	// reset: confirmed only; the old password and the open session end
	st, _ = bur.post(t, "/accounts/newclerk/reset-password", url.Values{"csrf": {bur.csrf}})
	assert.Equal(t, http.StatusBadRequest, st)
	st, _ = clerk.get(t, "/api/v1/me")
	require.Equal(t, 200, st, "unconfirmed: nothing done")
	st, body = bur.post(t, "/accounts/newclerk/reset-password", url.Values{"csrf": {bur.csrf}, "confirm": {"yes"}})
	require.Equal(t, 200, st)
	m = newPasswordRE.FindStringSubmatch(body)
	require.NotNil(t, m)
	st, _ = clerk.get(t, "/api/v1/me")
	assert.Equal(t, http.StatusUnauthorized, st, "reset ends the sessions")
	assert.False(t, trySignIn(t, f, "newclerk", pw), "the old password no longer works")
	clerk = signInWith(t, f, "newclerk", m[1])

	// disable (confirmed), enable
	st, body = bur.get(t, "/accounts/newclerk/disable")
	require.Equal(t, 200, st)
	assert.Contains(t, body, `id="disable-form"`)
	st, _ = bur.post(t, "/accounts/newclerk/disable", url.Values{"csrf": {bur.csrf}, "confirm": {"yes"}})
	require.Equal(t, http.StatusSeeOther, st)
	assert.False(t, trySignIn(t, f, "newclerk", m[1]), "disabled")
	st, _ = bur.post(t, "/accounts/newclerk/enable", url.Values{"csrf": {bur.csrf}})
	require.Equal(t, http.StatusSeeOther, st)
	assert.True(t, trySignIn(t, f, "newclerk", m[1]), "enabled again")

	// self-lockout: one's own account, the last enabled bureau account
	st, body = bur.post(t, "/accounts/"+f.bur+"/disable", url.Values{"csrf": {bur.csrf}, "confirm": {"yes"}})
	assert.Equal(t, http.StatusConflict, st)
	assert.Contains(t, body, "不能停用自己")
	_, body = bur.get(t, "/accounts")
	assert.NotContains(t, body, `id="disable-`+f.bur+`"`, "no disable offered for oneself")
	err := f.access.DisableUser(ctx, access.Login(f.bur), access.Local("test"), "")
	assert.ErrorIs(t, err, access.ErrLastBureau, "the only bureau account")
	st, _ = bur.get(t, "/api/v1/me")
	assert.Equal(t, 200, st, "still signed in")

	evs, err := f.access.Audit(ctx, access.AuditFilter{Limit: 1000})
	require.NoError(t, err)
	var seen []string
	for _, e := range evs {
		if e.Target == "newclerk" || e.Target == f.bur && e.Action == "user-disable" {
			seen = append(seen, e.Action+"/"+e.Outcome)
		}
		assert.NotContains(t, e.Detail, pw, "no password in the audit")
	}
	all := strings.Join(seen, " ")
	for _, want := range []string{"user-add/ok", "password-reset/ok", "user-disable/ok", "user-enable/ok", "user-disable/refused"} {
		assert.Contains(t, all, want)
	}
}

// trySignIn says whether login and password open a session.
func trySignIn(t *testing.T, f *fixture, login, password string) bool {
	t.Helper()
	c := &client{Client: &http.Client{Jar: newJar(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: f.srv.URL}
	_, body := c.get(t, "/login")
	m := csrfRE.FindStringSubmatch(body)
	require.NotNil(t, m)
	st, _ := c.post(t, "/login", url.Values{"csrf": {m[1]}, "login": {login}, "password": {password}, "next": {"/"}})
	return st == http.StatusSeeOther
}

// signInWith signs in with a password other than the fixture's.
func signInWith(t *testing.T, f *fixture, login, password string) *client {
	t.Helper()
	c := &client{Client: &http.Client{Jar: newJar(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: f.srv.URL}
	_, body := c.get(t, "/login")
	m := csrfRE.FindStringSubmatch(body)
	require.NotNil(t, m)
	st, _ := c.post(t, "/login", url.Values{"csrf": {m[1]}, "login": {login}, "password": {password}, "next": {"/"}})
	require.Equal(t, http.StatusSeeOther, st, "sign in %s", login)
	_, body = c.get(t, "/")
	m = csrfRE.FindStringSubmatch(body)
	require.NotNil(t, m)
	c.csrf = m[1]
	return c
}
