package idle

import (
	"cloudbill/internal/csvout"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/document/sheet"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// Reminder is the reminder to one department on one date: its cases (one per kind over
// the ratio) with the evidence of the reminder date.
type Reminder struct {
	Department catalog.Department
	// Parent is the 主管部门 of a subordinate unit (zero otherwise): it receives a copy.
	Parent   catalog.Department
	Date     calendar.Date
	Cases    []Case
	Evidence map[CaseID]Evidence
}

// Saving is the monthly saving of the reminder's cases.
func (r Reminder) Saving() decimal.Decimal {
	s := decimal.Zero
	for _, c := range r.Cases {
		s = s.Add(c.Saving)
	}
	return s
}

// Reminders groups cases by department and reminder date, departments in id order; the
// evidence of each case's reminder date is looked up with ev.
func Reminders(cases []Case, org catalog.Org, ev func(CaseID) (Evidence, bool)) []Reminder {
	type key struct {
		dep catalog.DepartmentID
		d   calendar.Date
	}
	idx := map[key]int{}
	var out []Reminder
	for _, c := range cases {
		k := key{c.Department, c.Reminder}
		i, ok := idx[k]
		if !ok {
			dep, found := org.Departments[c.Department]
			if !found {
				dep = catalog.Department{ID: c.Department, Name: string(c.Department)}
			}
			r := Reminder{Department: dep, Date: c.Reminder, Evidence: map[CaseID]Evidence{}}
			if c.Parent != "" {
				r.Parent = org.Departments[c.Parent]
				if r.Parent.ID == "" {
					r.Parent = catalog.Department{ID: c.Parent, Name: string(c.Parent)}
				}
			}
			i = len(out)
			idx[k] = i
			out = append(out, r)
		}
		out[i].Cases = append(out[i].Cases, c)
		if e, ok := ev(c.ID); ok {
			out[i].Evidence[c.ID] = e
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Department.ID != out[j].Department.ID {
			return out[i].Department.ID < out[j].Department.ID
		}
		return out[i].Date.Before(out[j].Date)
	})
	return out
}

func cnDate(d calendar.Date) string {
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}

func pctCN(r decimal.Decimal) string { return r.Mul(decimal.NewFromInt(100)).StringFixed(1) + "%" }

// Doc lays the reminder out as a Chinese document (typeset by document/pdf): to whom,
// why (§12 of the notice and the figures), what (each resource with its new quantity), by
// when, and the monthly saving. Created fixes the document date (the same reminder gives
// the same bytes).
func (r Reminder) Doc(created time.Time) sheet.Doc {
	ids := make([]string, len(r.Cases))
	for i, c := range r.Cases {
		ids[i] = string(c.ID)
	}
	deadline := r.Cases[0].Deadline
	d := sheet.Doc{Title: "闲置云资源调减提醒", Header: "提醒编号 " + strings.Join(ids, "、"), Created: created}
	fields := []sheet.Field{
		{Label: "致", Value: fmt.Sprintf("%s（%s）", r.Department.Name, r.Department.ID)},
		{Label: "提醒日期", Value: cnDate(r.Date)},
		{Label: "调减期限", Value: cnDate(deadline) + "前"},
		{Label: "每月可节约", Value: money.Grouped(r.Saving()) + " 元"},
	}
	if r.Parent.ID != "" {
		fields = append(fields, sheet.Field{Label: "抄送主管部门", Value: fmt.Sprintf("%s（%s）", r.Parent.Name, r.Parent.ID)})
	}
	from, to := Window(r.Date)
	fields = append(fields, sheet.Field{Label: "观测期", Value: fmt.Sprintf("%s至%s（30天）", cnDate(from), cnDate(to))})
	d.Add(sheet.Fields{Pairs: fields})
	d.Add(sheet.Para{Text: fmt.Sprintf("根据《关于贯彻落实〈重庆市电子政务云平台管理暂行办法〉的通知》第十二条，闲置的云资源比例超过冗余比例的，"+
		"应自多云管理系统发出提醒之日起1个月内主动调减到位；不予主动调减的，由区大数据发展局予以调减。经多云管理系统对贵单位云资源使用情况的监测，"+
		"下列资源的闲置比例超过市大数据主管部门明确的冗余比例，请于%s前通过多云管理系统确认配置变更或终止。", cnDate(deadline))})
	for _, c := range r.Cases {
		ev := r.Evidence[c.ID]
		used := decimal.Zero
		if ev.Group.Used.IsPositive() {
			used = ev.Group.Used
		}
		d.Add(sheet.Heading{Text: fmt.Sprintf("%s（提醒编号 %s）", c.Kind.Label(), c.ID), Level: 1})
		d.Add(sheet.Fields{Pairs: []sheet.Field{
			{Label: "已分配", Value: c.Allocated.String() + " " + c.Kind.Unit()},
			{Label: "实际使用（P95）", Value: used.StringFixed(2) + " " + c.Kind.Unit()},
			{Label: "闲置比例", Value: pctCN(c.IdleRatio)},
			{Label: "冗余比例", Value: pctCN(c.Ratio)},
			{Label: "建议调减后合计", Value: c.Target.String() + " " + c.Kind.Unit()},
			{Label: "每月可节约", Value: money.Grouped(c.Saving) + " 元"},
		}})
		rows := map[catalog.OrderID]Row{}
		for _, row := range ev.Rows {
			rows[row.Order] = row
		}
		t := sheet.Table{Columns: []sheet.Column{
			{Title: "工单", Width: 14}, {Title: "资源", Width: 16}, {Title: "品目", Width: 8}, {Title: "区域", Width: 8},
			{Title: "现配置", Width: 8, Align: sheet.Right}, {Title: "P95利用率", Width: 9, Align: sheet.Right},
			{Title: "使用量", Width: 8, Align: sheet.Right}, {Title: "建议配置", Width: 8, Align: sheet.Right},
			{Title: "每月节约（元）", Width: 11, Align: sheet.Right},
		}}
		for _, o := range c.Orders {
			if !o.Named() {
				continue
			}
			row := rows[o.Order]
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{string(o.Order), string(o.Resource), string(o.Item), zoneCN(o.Zone),
				o.Allocated.String(), row.P95Util.StringFixed(1) + "%", row.Used.StringFixed(2), o.Recommended.String(), money.Grouped(o.Saving)}})
		}
		t.Rows = append(t.Rows, sheet.Row{Style: sheet.Total, Cells: []string{"合计", "", "", "", c.Allocated.String(), "", used.StringFixed(2), c.Target.String(), money.Grouped(c.Saving)}})
		d.Add(t)
	}
	d.Add(sheet.Para{Text: "说明：使用量为观测期内利用率第95百分位数乘以分配量；数据天数不足14天或采样不足应采样数80%的资源不计入闲置比例。" +
		"建议配置为服务目录可提供的、不低于“使用量÷(1−冗余比例)”的最小规格；每月节约按分析日有效的目录单价计算。" +
		"依据通知第十三条，贵单位新增云资源需求应首先从本单位冗余资源中弹性调配。"})
	d.Add(sheet.Para{Text: "重庆市梁平区大数据应用发展管理局", Emphasis: true})
	return d
}

func zoneCN(z catalog.Zone) string {
	switch z {
	case catalog.ZoneInternet:
		return "互联网"
	case catalog.ZoneExtranet:
		return "政务外网"
	}
	return string(z)
}

// reminderColumns are the columns of a reminder CSV.
var reminderColumns = []string{"case_id", "department_id", "parent_department_id", "kind", "reminder_date", "deadline", "order_id",
	"resource_id", "item_code", "zone", "allocated", "p95_util", "used", "recommended_quantity", "monthly_saving"}

// WriteReminderCSV writes the resources a reminder names, one row each.
func WriteReminderCSV(w io.Writer, r Reminder) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(reminderColumns); err != nil {
		return err
	}
	for _, c := range r.Cases {
		rows := map[catalog.OrderID]Row{}
		for _, row := range r.Evidence[c.ID].Rows {
			rows[row.Order] = row
		}
		for _, o := range c.Orders {
			if !o.Named() {
				continue
			}
			row := rows[o.Order]
			if err := cw.Write([]string{string(c.ID), string(c.Department), string(c.Parent), string(c.Kind), c.Reminder.String(), c.Deadline.String(),
				string(o.Order), string(o.Resource), string(o.Item), string(o.Zone), o.Allocated.String(), dec(row.P95Util, 4), dec(row.Used, 4),
				o.Recommended.String(), money.Plain(o.Saving)}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// changeRequestColumns are the columns of the bureau's downsizing list: a work-order event
// file (docs/formats.md) of changes, with x_ columns that the order import ignores.
var changeRequestColumns = []string{"order_id", "event", "effective_date", "department_id", "project_id", "vendor_id", "zone", "item_code",
	"quantity", "resource_id", "portion", "x_case_id", "x_deadline", "x_current_quantity"}

// WriteChangeRequests writes the change requests as a work-order event file.
func WriteChangeRequests(w io.Writer, reqs []ChangeRequest) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(changeRequestColumns); err != nil {
		return err
	}
	for _, r := range reqs {
		c := r.Config
		if err := cw.Write([]string{string(r.Order), string(catalog.EventChange), r.Effective.String(), string(c.Department), string(c.Project),
			string(c.Vendor), string(c.Zone), string(c.Item), c.Quantity.String(), string(c.ResourceID), string(c.Portion),
			string(r.Case), r.Deadline.String(), r.Current.String()}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
