package portal

// A department's declaration draft (§19 of the notice): GET
// /departments/{department}/declaration[?format=xlsx|csv|pdf] is the department's 测算表 for
// next year as of today (funding.LoadDeclaration, as `cloudbill declare` writes it).
// Scope: viewing the department (a 主管部门 its units too). The download is audited.

import (
	"bytes"
	"fmt"
	"net/http"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/document/sheet"
	"cloudbill/funding"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/xlsxout"
)

// declarationRule: the department named by {department}, with a valid ?format=.
func declarationRule(r *http.Request) (access.Action, access.Object, error) {
	id, err := parseID(r.PathValue("department"))
	if err != nil {
		return "", access.Object{}, err
	}
	switch r.URL.Query().Get("format") {
	case "", "xlsx", "csv", "pdf":
	default:
		return "", access.Object{}, badInput("format %q: want xlsx, csv or pdf", truncate(r.URL.Query().Get("format")))
	}
	return access.View, access.Department(catalog.DepartmentID(id)), nil
}

func (s *Server) declarationFile(w http.ResponseWriter, r *http.Request, c *call) {
	dep := catalog.DepartmentID(r.PathValue("department"))
	today := calendar.LocalDate(s.now())
	d, org, _, err := funding.LoadDeclaration(r.Context(), s.cfg.Store, funding.DeclarationYear(today), today)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	if _, ok := org.Departments[dep]; !ok {
		s.fail(w, r, Route{}, 404, "没有这个部门", fmt.Errorf("declaration: unknown department %s", dep))
		return
	}
	t := funding.DeclarationTable(d, org, dep)
	var buf bytes.Buffer
	format := r.URL.Query().Get("format")
	name := fmt.Sprintf("declaration-%d-%s", d.Year, dep)
	switch format {
	case "csv":
		err = xlsxout.WriteCSV(&buf, t)
		name += ".csv"
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "pdf":
		var font sheet.Typesetter
		if font, err = s.cfg.App.Font(s.cfg.FontPath); err == nil {
			var b []byte
			b, err = font.Render(funding.DeclarationDoc(d, org, dep, s.now()))
			buf.Write(b)
		}
		name += ".pdf"
		w.Header().Set("Content-Type", "application/pdf")
	default:
		t.Headers = glossary.Headers(t.Headers)
		err = xlsxout.Write(&buf, t)
		name += ".xlsx"
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	_ = s.cfg.Access.Record(r.Context(), access.Event{Actor: c.id.Name(), Role: c.id.Role, Action: "download", Target: "declaration " + name, Remote: c.remote,
		Detail: access.Details(access.DetailAsOf, "date", today.String())})
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
