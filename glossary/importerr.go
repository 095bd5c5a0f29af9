package glossary

import (
	"cloudbill/catalog"
	"cloudbill/internal/csvin"
	"cloudbill/rating"
)

// importErrors says each code of the importers' own errors (internal/csvin/importcodes.go)
// in Chinese, as inputErrors does the reader's and the invoice's. {at} is a place in a
// file: 第 N 行, or 文件 F 第 N 行 in another file (placeZh).
var importErrors = map[csvin.Code]string{
	csvin.CodeEmpty:         "为空：此列须填写",
	csvin.CodeIDTooLong:     "编号超过 {max} 个字符",
	csvin.CodeIDUnsafe:      "编号“{value}”含不允许的字符：只能使用字母 A–Z a–z、数字、“-”“_”“.”，以字母或数字开头，最多 64 个字符",
	csvin.CodeDateBad:       "“{value}”不是 YYYY-MM-DD 格式的日期",
	csvin.CodeDateRange:     "日期 {value} 不在 1971～2105 年之内",
	csvin.CodePeriodBadOf:   "“{value}”不是 YYYY-MM 格式的月份",
	csvin.CodeOneOf:         "“{value}”不是可用的值（应为 {allowed} 之一）",
	csvin.CodeDecimalBad:    "“{value}”不是非负数" + plainNumber,
	csvin.CodeDecimalSep:    "“{value}”含千位分隔符或小数逗号" + plainNumber,
	csvin.CodeDecimalScale:  "“{value}”超过 {max} 位小数",
	csvin.CodePriceTooLarge: "单价 {value} 超过允许的最大值 {max}",
	csvin.CodeQtyTooLarge:   "数量 {value} 超过允许的最大值 {max}",
	csvin.CodeMoneyBad:      "“{value}”不是金额：请写成 1234.56 这样的数，最多两位小数",
	csvin.CodeMoneySep:      "“{value}”含千位分隔符或小数逗号：请写成 1234.56 这样的数，最多两位小数",
	csvin.CodeMoneyNegative: "金额 {value} 为负数",
	csvin.CodeMoneyTooLarge: "金额 {value} 超过允许的最大值 {max}",
	csvin.CodeYearBad:       "“{value}”不是 YYYY 格式的年度",
	csvin.CodeUnknownVendor: "未知的服务商 {vendor}",
	csvin.CodeUnknownDept:   "未知的部门 {department}",
	csvin.CodeUnknownProj:   "未知的项目 {project}（不在任何年度的项目清单中）",

	csvin.CodeItemTwice:         "品目 {item} 出现了两次（另见{at}）",
	csvin.CodeCategoryName:      "“{value}”不是类别名称（应为小写英文单词，如 compute、storage、network）",
	csvin.CodeItemNoPrice:       "品目 {item} 在任何区域都没有单价（请填写 price_internet、price_extranet 或两者）",
	csvin.CodeMeteredMetric:     "按量计费的品目须写明计价所依据的用量指标",
	csvin.CodeMeteredAgg:        "按量计费的品目须写明汇总方式（sum、max、avg、p95、avg_daily_max）",
	csvin.CodeAllocatedMetric:   "按月分摊的品目没有用量指标（此处为“{value}”）",
	csvin.CodeAllocatedAgg:      "按月分摊的品目没有汇总方式（此处为“{value}”）",
	csvin.CodeCatalogEmpty:      "服务目录中没有品目",
	csvin.CodeResourceTypeTwice: "资源类型 {type} 出现了两次（另见{at}）",
	csvin.CodeAdaptNoCatalog:    "未知的品目 {item}：尚未导入任何服务目录",
	csvin.CodeAdaptUnknownItem:  "未知的品目 {item}（不在任何服务目录版本中）",

	csvin.CodeDeptTwice:    "部门 {department} 出现了两次（另见{at}）",
	csvin.CodeDeptCase:     "部门 {department} 与部门 {other} 只有字母大小写不同：在不区分大小写的文件系统上，两者的账单文件会成为同一个文件",
	csvin.CodeDeptParent:   "部门 {department}（{name}）的上级部门 {parent} 未知",
	csvin.CodeDeptCycle:    "部门 {department}（{name}）的上级部门构成循环：{cycle}",
	csvin.CodeProjectYear:  "“{value}”不是年度（2000～2100）",
	csvin.CodeApproved:     "“{value}”不是 true 或 false",
	csvin.CodeProjectTwice: "{year} 年度的项目 {project} 出现了两次（另见{at}）",
	csvin.CodeVendorTwice:  "服务商 {vendor} 出现了两次（另见{at}）",
	csvin.CodeVendorCase:   "服务商 {vendor} 与服务商 {other} 只有字母大小写不同：在不区分大小写的文件系统上，两者的结算单文件会成为同一个文件",

	csvin.CodeOrderOpenedTwice: "工单编号重复：工单 {order} 已于 {date} 开通（{at}），内容不同",
	csvin.CodeBeforeOpen:       "{event} 事件早于开通：工单 {order} 没有 open 事件",
	csvin.CodeBeforeOpenDate:   "{event} 事件早于开通：工单 {order} 于 {open} 开通（{at}），而该 {event} 事件的日期是 {date}",
	csvin.CodeAfterTerminate:   "终止之后还有事件：工单 {order} 已于 {date} 终止（{at}），终止之后不能再有事件",
	csvin.CodeGoesBack:         "生效日期 {date} 早于工单 {order} 上一事件的日期 {last}（{at}）",
	csvin.CodeProjectOtherDept: "项目 {project} 属于部门 {owner}，既不是工单的部门 {department}，也不是其上级部门",
	csvin.CodeQtyNotPositive:   "数量须为正数，此处为 {value}",
	csvin.CodePortion:          "portion {value} 只用于改扩建项目；项目 {project} 的资金类别是{category}",
	csvin.CodeTypeNotAdapted:   "资源类型 {type} 不在服务目录中，也没有目录适配（请用 catalog adapt 导入）",
	csvin.CodeNoItem:           "为空：请填写品目编码，或填写已有目录适配的 resource_type",
	csvin.CodeNoCatalogOn:      "{date} 没有生效的服务目录版本",
	csvin.CodeItemNotOffered:   "品目 {item} 在 {date} 不提供（不在 {version} 生效的服务目录版本中）",
	csvin.CodeItemUnknown:      "未知的品目 {item}",
	csvin.CodeZoneNotOffered:   "品目 {item}（{name}）在 {date} 不在{zone}提供（{version} 生效的服务目录版本中没有{zone}的单价）",
	csvin.CodeTerminateKeeps:   "终止事件沿用现行配置（{want}），此处为 {got}：请留空或填写现行的值",

	csvin.CodeAbove100:        "{value} 超过 100",
	csvin.CodeAcceptanceTwice: "服务商 {vendor} {period} 的第二条验收记录（另见{at}）",

	csvin.CodeBudgetNotOnList:   "项目 {project} 不在 {year} 年度的项目清单中",
	csvin.CodeBudgetNotApproved: "项目 {project} 未获批列入 {year} 年度（其费用不列入项目资金，没有预算）",
	csvin.CodeBudgetTwice:       "项目 {project} {year} 年度的第二个预算金额（另见{at}）",
	csvin.CodeNotPayable:        "{period} 既未结账也未预估：该月尚无应付款",
	csvin.CodeAmountZero:        "金额为零",
	csvin.CodeRefundNoVoucher:   "负数金额是退款：请在 refunds 列写明被退款的凭证号",
	csvin.CodeRefundPositive:    "退款的金额须为负数（此处为 {value}）",
	csvin.CodeVoucherTwice:      "凭证 {voucher} 在文件中出现了两次（另见{at}）",
	csvin.CodeVoucherChanged:    "凭证 {voucher} 已导入过（{file}），内容不同：服务商 {vendor}，月份 {period}，金额 {amount}，支付日期 {paid}",
	csvin.CodeRefundUnknown:     "退款所对应的凭证 {voucher} 尚未导入",
	csvin.CodeRefundOfRefund:    "凭证 {voucher} 本身是退款",
	csvin.CodeRefundVendor:      "凭证 {voucher} 付给的是服务商 {paid}，不是 {vendor}",
	csvin.CodeRefundExceeds:     "凭证 {voucher} 的退款（{refunded}）超过其支付金额（{paid}）",
	csvin.CodeShareBad:          "“{value}”不是预算比例：请写成 0.80 这样的数（即 80%，最多四位小数）",
	csvin.CodeShareRange:        "比例 {value} 不在 (0, {max}] 之内",
	csvin.CodeWarningAboveOver:  "预警比例 {warning} 高于超支比例 {over}",
	csvin.CodeThresholdTwice:    "{date} 生效的第二个版本（另见{at}）",

	csvin.CodeIdleKind:      "“{value}”不是冗余系数适用的资源：应为 vcpu 或 memory",
	csvin.CodeUntilBefore:   "{until} 早于生效日期 {effective}",
	csvin.CodeRatioBad:      "“{value}”不是数字",
	csvin.CodeRatioRange:    "{value} 不在 0～1 之内：冗余系数须不小于 0 且小于 1（如 0.20）",
	csvin.CodeSizeBad:       "“{value}”不是数量",
	csvin.CodeSizeNotPos:    "{value} 不是正数",
	csvin.CodeSizeOrder:     "{value} 不大于前一个规格 {previous}：规格须由小到大排列",
	csvin.CodeIdleTwice:     "{kind}有第二个 {date} 生效的版本（第一个见{at}）",
	csvin.CodeIdleRewritten: "{kind}已有 {date} 生效的版本（冗余系数 {ratio}，文件 {file} 第 {line} 行）：已导入的版本不会改写，请另定生效日期",
	csvin.CodeIdleOverlap:   "{kind}：{date} 生效、{until} 截止的版本与 {next} 生效的版本重叠",

	csvin.CodeRulesOtherMonth:  "按 {fixed} 生效导入的文件中有 {period} 的规则：一次导入一个版本（请留空或填写 {fixed}）",
	csvin.CodeRulesRate:        "扣减比例“{value}”不是 0～100 之间的百分数",
	csvin.CodeRulesResult:      "验收结果“{value}”不是 passed、deferred 或 failed",
	csvin.CodeRulesResultTwice: "{period} 的验收结果{result}给出了两次",
	csvin.CodeRulesThreshold:   "{group}的阈值“{value}”不是 0～100 之间的数",
	csvin.CodeRulesTierTwice:   "{period} 的{group}阈值 {value} 给出了两次",
	csvin.CodeRulesCapValue:    "上限（cap）没有阈值（此处为“{value}”）",
	csvin.CodeRulesCapTwice:    "{period} 的上限（cap）给出了两次",
	csvin.CodeRulesGroup:       "分组“{value}”不是 result、score、availability 或 cap",
	csvin.CodeRulesNoResult:    "{period} 生效的规则没有验收结果{result}的扣减比例",
	csvin.CodeRulesNoCap:       "{period} 生效的规则没有上限（cap）",
	csvin.CodeRulesEmpty:       "没有规则：文件只有表头，没有数据行",
	csvin.CodeRulesClosed:      "规则不能自 {effective} 起生效：{closed} 已结账，其验收扣减已冻结；新规则最早可自 {next} 起生效",
}

// valueNames say some values of an input error by their Chinese names (a zone, a funding
// category, an acceptance result, a tier group); other values print as they are.
var valueNames = map[string]func(string) string{
	"zone":     func(v string) string { return Zone(catalog.Zone(v)) },
	"category": func(v string) string { return Category(catalog.ProjectCategory(v)) },
	"result":   func(v string) string { return Result(catalog.AcceptanceResult(v)) },
	"group":    func(v string) string { return TierGroup(rating.TierGroup(v)) },
	"kind":     IdleKind,
}

// placeZh is the place of an error's values at_line and at_file in Chinese: 第 N 行 in the
// error's own file, 文件 F 第 N 行 in another (文件 F for the whole file).
func placeZh(p map[string]string) string {
	line, file := p["at_line"], p["at_file"]
	switch {
	case file == "":
		return "第 " + line + " 行"
	case line == "" || line == "0":
		return "文件 " + printable(file)
	}
	return "文件 " + printable(file) + " 第 " + line + " 行"
}
