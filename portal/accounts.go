package portal

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"cloudbill/access"
	"cloudbill/catalog"
)

// The bureau's account pages: add, disable (confirmed), enable, reset a password
// (confirmed; the new password is shown once). They go through the same access.Service
// methods as `cloudbill users`; each change is audited there.

type accountsData struct {
	Users  []access.User
	Tokens []tokenRow
	Roles  []option
	Depts  []option
	Vens   []option
	Self   access.Login
	// DeptNames and VenNames name the departments and vendors of accounts and tokens.
	DeptNames, VenNames map[string]string
}

type tokenRow struct {
	access.Token
	State string
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	us, err := s.cfg.Access.Users(ctx)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	ts, err := s.cfg.Access.ListTokens(ctx)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d := accountsData{Users: us, Self: c.id.Login, DeptNames: map[string]string{}, VenNames: map[string]string{}}
	for _, t := range ts {
		d.Tokens = append(d.Tokens, tokenRow{t, t.State(s.now())})
	}
	for _, ro := range access.Roles() {
		d.Roles = append(d.Roles, option{string(ro), ro.Label()})
	}
	for id, dep := range c.org.Departments {
		d.Depts = append(d.Depts, option{string(id), string(id) + " " + dep.Name})
		d.DeptNames[string(id)] = dep.Name
	}
	for id, v := range c.org.Vendors {
		d.Vens = append(d.Vens, option{string(id), string(id) + " " + v.Name})
		d.VenNames[string(id)] = v.Name
	}
	sort.Slice(d.Depts, func(i, j int) bool { return d.Depts[i].Value < d.Depts[j].Value })
	sort.Slice(d.Vens, func(i, j int) bool { return d.Vens[i].Value < d.Vens[j].Value })
	s.render(w, c, 200, "accounts", "账户", d)
}

// accountData is the page of one account change: a confirmation or its result.
type accountData struct {
	Mode     string // disable, reset (confirmations); added, reset-done (results)
	User     access.User
	Password string // the new password, shown once
	Error    string
}

// addAccount: POST /accounts (login, role, department | vendor); the password is made
// here and shown once.
func (s *Server) addAccount(w http.ResponseWriter, r *http.Request, c *call) {
	login, err := access.ParseLogin(strings.TrimSpace(r.PostFormValue("login")))
	if err != nil {
		s.fail(w, r, Route{}, http.StatusBadRequest, "账号不符合要求："+err.Error(), nil)
		return
	}
	role, err := access.ParseRole(r.PostFormValue("role"))
	if err != nil {
		s.fail(w, r, Route{}, http.StatusBadRequest, "请选择角色。", nil)
		return
	}
	p := access.AddUserParams{Login: login, Role: role, Password: access.NewPassword(), Org: &c.org, By: c.id, Remote: c.remote}
	switch role {
	case access.RoleDepartment:
		p.Department = catalog.DepartmentID(r.PostFormValue("department"))
	case access.RoleVendor:
		p.Vendor = catalog.VendorID(r.PostFormValue("vendor"))
	}
	u, err := s.cfg.Access.AddUser(r.Context(), p)
	switch {
	case errors.Is(err, access.ErrExists):
		s.fail(w, r, Route{}, http.StatusConflict, "账号 "+string(login)+" 已存在。", nil)
		return
	case err != nil && (p.Department == "" && role == access.RoleDepartment || p.Vendor == "" && role == access.RoleVendor):
		s.fail(w, r, Route{}, http.StatusBadRequest, "部门账户须选择部门，服务商账户须选择服务商。", nil)
		return
	case err != nil && strings.Contains(err.Error(), "unknown"):
		s.fail(w, r, Route{}, http.StatusBadRequest, "没有这个部门或服务商。", nil)
		return
	case err != nil:
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	s.render(w, c, 200, "account", "账户 "+string(login), accountData{Mode: "added", User: u, Password: p.Password})
}

// accountOf reads the {login} account; false after answering 404.
func (s *Server) accountOf(w http.ResponseWriter, r *http.Request) (access.User, bool) {
	login := access.Login(r.PathValue("login"))
	us, err := s.cfg.Access.Users(r.Context())
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return access.User{}, false
	}
	for _, u := range us {
		if u.Login == login {
			return u, true
		}
	}
	s.fail(w, r, Route{}, http.StatusNotFound, "没有这个账户。", nil)
	return access.User{}, false
}

// disableConfirm: GET /accounts/{login}/disable.
func (s *Server) disableConfirm(w http.ResponseWriter, r *http.Request, c *call) {
	if u, ok := s.accountOf(w, r); ok {
		s.render(w, c, 200, "account", "停用账户 "+string(u.Login), accountData{Mode: "disable", User: u})
	}
}

// disableAccount: POST /accounts/{login}/disable with confirm=yes.
func (s *Server) disableAccount(w http.ResponseWriter, r *http.Request, c *call) {
	u, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.render(w, c, http.StatusBadRequest, "account", "停用账户 "+string(u.Login), accountData{Mode: "disable", User: u, Error: "请勾选确认后再停用。"})
		return
	}
	err := s.cfg.Access.DisableUser(r.Context(), u.Login, c.id, c.remote)
	switch {
	case errors.Is(err, access.ErrSelf):
		s.fail(w, r, Route{}, http.StatusConflict, "不能停用自己正在使用的账户。", nil)
		return
	case errors.Is(err, access.ErrLastBureau):
		s.fail(w, r, Route{}, http.StatusConflict, "这是最后一个启用的区大数据发展局账户，停用后将无人能管理账户；请先添加或启用另一个。", nil)
		return
	case err != nil:
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}

// enableAccount: POST /accounts/{login}/enable.
func (s *Server) enableAccount(w http.ResponseWriter, r *http.Request, c *call) {
	u, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	if err := s.cfg.Access.EnableUser(r.Context(), u.Login, c.id, c.remote); err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}

// resetConfirm: GET /accounts/{login}/reset-password.
func (s *Server) resetConfirm(w http.ResponseWriter, r *http.Request, c *call) {
	if u, ok := s.accountOf(w, r); ok {
		s.render(w, c, 200, "account", "重置密码 "+string(u.Login), accountData{Mode: "reset", User: u})
	}
}

// resetPassword: POST /accounts/{login}/reset-password with confirm=yes; the new
// password is shown once.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, c *call) {
	u, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.render(w, c, http.StatusBadRequest, "account", "重置密码 "+string(u.Login), accountData{Mode: "reset", User: u, Error: "请勾选确认后再重置。"})
		return
	}
	pw := access.NewPassword()
	if err := s.cfg.Access.ResetPassword(r.Context(), u.Login, pw, c.id, c.remote); err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	s.render(w, c, 200, "account", "重置密码 "+string(u.Login), accountData{Mode: "reset-done", User: u, Password: pw})
}
