package glossary

import (
	"net/url"
	"strings"

	"cloudbill/access"
)

// reasons names why an audited action was refused (access.Reason*).
var reasons = map[string]string{
	access.ReasonSelf:         "不能停用自己的账号",
	access.ReasonLastBureau:   "不能停用最后一个启用的区大数据发展局账号",
	access.ReasonUnknownLogin: "账号不存在",
	access.ReasonWrongPass:    "密码错误",
	access.ReasonDisabled:     "账号已停用",
	access.ReasonCSRF:         "表单校验码缺失或有误（CSRF）",
	access.ReasonNotEnded:     "该月尚未结束",
	access.ReasonNotRated:     "该月尚未计费",
	access.ReasonPending:      "有服务商的验收结果尚未导入",
	access.ReasonIncomplete:   "有采集窗口缺失",
	access.ReasonBeingClosed:  "该月正在由其他操作结账",
	access.ReasonNoFile:       "未选择文件",
	access.ReasonTooLarge:     "文件过大",
	access.ReasonNotInvoice:   "不是 CSV 或 Excel .xlsx 文件",
	access.ReasonPeriodOpen:   "该月尚未结账，暂不能对账",
	access.ReasonBadInvoice:   "发票内容有误",
	access.ReasonFailed:       "处理失败",
}

// actors names the actors that are not accounts.
var actors = map[string]string{
	"cli": "命令行（cli）",
}

// Actor is an audit event's actor in words: an account's login as it is, the command
// line named.
func Actor(a string) string {
	if n, ok := actors[a]; ok {
		return n
	}
	return a
}

// AuditDetail is an audit event's detail in Chinese (access.Details); a detail recorded
// before details were data prints as it was stored.
//   - sessions: 结束 2 个会话
//   - close: 计费批次 R1，共 1,930 行，合计 1,043,194.81 元，内容哈希 …
//   - refused: 密码错误
//   - invoice: 发票 v.csv（120 行，SHA-256 …）：对账记录 U1，差异 3 处
func AuditDetail(d string) string { return AuditDetailNamed(d, nil) }

// AuditDetailNamed is AuditDetail with the departments and vendors an account change
// names given by name, the code after it ("部门 区财政局（D001）"); name answers ""
// for a code it does not know (then the code alone), and may be nil.
func AuditDetailNamed(d string, name func(kind, code string) string) string {
	named := func(kind, code string) string {
		if name != nil {
			if n := name(kind, code); n != "" && n != code {
				return n + "（" + code + "）"
			}
		}
		return code
	}
	code, v, ok := access.ParseDetail(d)
	if !ok {
		return d
	}
	get := v.Get
	switch code {
	case access.DetailSessions:
		return "结束 " + get("n") + " 个会话"
	case access.DetailAccount:
		parts := []string{"角色 " + access.Role(get("role")).Label()}
		if x := get("department"); x != "" {
			parts = append(parts, "部门 "+named("department", x))
		}
		if x := get("vendor"); x != "" {
			parts = append(parts, "服务商 "+named("vendor", x))
		}
		return strings.Join(parts, "；")
	case access.DetailRefused:
		s := Name(reasons, get("reason"))
		if x := get("limit_mib"); x != "" {
			s += "（上限 " + x + " MiB）"
		}
		if x := get("text"); x != "" {
			s += "：" + x
		}
		return s
	case access.DetailToken:
		if get("kind") == "collector" {
			return "采集令牌，服务商 " + get("vendor")
		}
		return "个人访问令牌，账号 " + get("login")
	case access.DetailClose:
		if get("already") == "1" {
			return "该月此前已结账，未重复结账"
		}
		s := "计费批次 " + get("run") + "，共 " + get("lines") + " 行，合计 " + yuanText(get("total")) + " 元，内容哈希 " + get("hash")
		if get("pending") == "1" {
			s += "；验收待定仍结账"
		}
		if x := get("missing"); x != "" {
			s += "；缺 " + x + " 个采集窗口仍结账"
		}
		return s
	case access.DetailInvoice:
		s := "发票 " + get("file") + "（" + get("lines") + " 行，SHA-256 " + get("sha256") + "）："
		if x := get("upload"); x != "" {
			s += "对账记录 " + x + "，"
		}
		return s + "差异 " + get("differences") + " 处"
	case access.DetailStatement:
		return Status(get("state")) + "，签发编号 " + get("issue")
	case access.DetailAsOf:
		return "截至 " + get("date")
	case access.DetailImport:
		what := map[string]string{"budgets": "条预算金额", "thresholds": "个预警阈值版本", "vouchers": "张支付凭证"}[get("of")]
		if what == "" {
			what = "条"
		}
		s := "导入批次 " + get("import") + "：" + get("accepted") + " " + what
		if x := get("replaced"); x != "" && x != "0" {
			s += "（其中 " + x + " 条替换原版本）"
		}
		return s
	case access.DetailEstimate:
		s := get("period") + " 预估（截至 " + get("as_of") + "）"
		if x := get("lines"); x != "" {
			s += "：共 " + x + " 行，合计 " + yuanText(get("total")) + " 元"
		}
		s += "，哈希 " + get("hash")
		if x := get("reason"); x != "" {
			s += "；撤回原因：" + x
		}
		return s
	}
	return string(code) + "?" + url.Values(v).Encode()
}

// targetWords name the kinds of file an audit event's target starts with.
var targetWords = []struct{ prefix, words string }{
	{"declaration ", "申报测算表 "},
	{"reconciliation ", "对账报告 "},
	{"idle ", "闲置资源提醒 "},
}

// AuditTarget is an audit event's target with the kind of file it names in words
// ("declaration D01.pdf": 申报测算表 D01.pdf); months, logins, ids and paths as stored.
func AuditTarget(t string) string {
	for _, w := range targetWords {
		if strings.HasPrefix(t, w.prefix) {
			return w.words + t[len(w.prefix):]
		}
	}
	return t
}
