package portal

// The collection-completeness pages ("in the portal's bureau pages"): the
// district's needs access.District (finance, bureau); one vendor's needs that vendor.

import (
	"net/http"
	"time"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/metering/pull"
)

// vendorCollectionRule: a vendor's completeness of a month.
func vendorCollectionRule(r *http.Request) (access.Action, access.Object, error) {
	return vendorRule(access.View)(r)
}

type collectionData struct {
	Period   calendar.Period
	Vendor   string
	Name     string // the vendor's name ("" for every vendor)
	Statuses []collectionRow
	Missing  int
	Now      time.Time
}

type collectionRow struct {
	pull.MappingStatus
	Name string
}

func (s *Server) collectionPage(w http.ResponseWriter, r *http.Request, c *call) {
	s.collection(w, r, c, "")
}

func (s *Server) vendorCollectionPage(w http.ResponseWriter, r *http.Request, c *call) {
	s.collection(w, r, c, r.PathValue("vendor"))
}

// collection: the Prometheus windows of month p expected (due by now) vs collected,
// partial and failed, per vendor and mapping (pull.Completeness, as `cloudbill collect
// status`).
func (s *Server) collection(w http.ResponseWriter, r *http.Request, c *call, vendor string) {
	p, _ := parsePeriod(r.PathValue("period"))
	now := s.now()
	sts, err := pull.Completeness(r.Context(), s.cfg.Store, p, now, vendor)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d := collectionData{Period: p, Vendor: vendor, Now: now}
	if v, ok := c.org.Vendors[catalog.VendorID(vendor)]; ok && vendor != "" {
		d.Name = v.Name
	}
	for _, st := range sts {
		name := st.Vendor
		if v, ok := c.org.Vendors[catalog.VendorID(st.Vendor)]; ok {
			name = v.Name
		}
		d.Statuses = append(d.Statuses, collectionRow{st, name})
	}
	d.Missing = pull.Missing(sts)
	s.render(w, c, 200, "collection", "采集完整性 "+p.String(), d)
}
