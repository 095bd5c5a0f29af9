package portal

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
)

// Error pages: in Chinese, with the menu when the user is signed in, and a way back (the
// page the user came from, when it is one of the portal's, and the overview).

type callKey struct{}

// withCall makes the request's identity known to an error page rendered for it.
func withCall(r *http.Request, c *call) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), callKey{}, c))
}

func callOf(r *http.Request) *call {
	c, _ := r.Context().Value(callKey{}).(*call)
	return c
}

// errorTitle is an error page's heading.
func errorTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "未找到"
	case http.StatusForbidden:
		return "无权访问"
	case http.StatusBadRequest:
		return "请求有误"
	case http.StatusRequestEntityTooLarge:
		return "文件过大"
	case http.StatusUnsupportedMediaType:
		return "文件类型不受理"
	case http.StatusConflict:
		return "暂不能办理"
	case http.StatusMethodNotAllowed:
		return "不支持的操作"
	case http.StatusServiceUnavailable:
		return "服务繁忙"
	}
	if status >= 500 {
		return "服务出错"
	}
	return "出错了"
}

// errorPage renders the error page.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	pd := pageData{Title: errorTitle(status), Status: status, Message: msg, Back: backLink(r)}
	if c := callOf(r); c != nil && c.id.Role != "" {
		pd.ID, pd.CSRF, pd.Nav = c.id, c.session.CSRF, s.nav(c)
	}
	var buf bytes.Buffer
	if err := s.pages["error"].ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.cfg.Logf("portal: render error page: %v", err)
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// noRoute answers a path or method the portal does not have: JSON under /api/, else the
// error page, with the menu when a session cookie names a signed-in user.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	status, msg := http.StatusNotFound, "没有这个页面："+truncate(r.URL.Path)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		status, msg = http.StatusMethodNotAllowed, "该页面不支持此操作。"
	}
	if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" {
		writeJSONError(w, status, msg)
		return
	}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c := &call{remote: remoteAddr(r)}
		if c.id, c.session, err = s.cfg.Access.SessionIdentity(r.Context(), ck.Value); err == nil {
			if c.org, err = s.orgNow(r.Context()); err == nil {
				r = withCall(r, c)
			}
		}
	}
	s.errorPage(w, r, status, msg)
}

// backLink is the page the request came from when it is a page of this portal (same
// host, a GET page, not the sign-in), else "".
func backLink(r *http.Request) string {
	ref := r.Referer()
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host != r.Host || u.Path == "/login" || u.Path == r.URL.Path {
		return ""
	}
	back := u.Path
	if u.RawQuery != "" {
		back += "?" + u.RawQuery
	}
	return safeNext(back)
}
