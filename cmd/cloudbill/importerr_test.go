package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// importerRefusals runs every importer on a bad file (h holds the fixtures' master data)
// and checks the command line's list in Chinese, line for line: the header 文件 F
// 未受理，未存储任何内容：共 N 处错误：, then each error naming the file, the line, the record
// and the column; every listed line is a coded error (Chinese, none printed as its English
// text); exit status 2 and nothing stored or written (hostile.refused).
func importerRefusals(t *testing.T, h *hostile) {
	for _, c := range []struct {
		name string
		file string // the input file's name (several: the org import's, each with its body)
		body string
		args func(path string) []string
		want []string // the errors, each after "  文件 PATH "
	}{
		{"catalog", "cat.csv", "code,name,category,unit,billing,price_internet,price_extranet,meter_metric,meter_agg\n" +
			"C01,vCPU,compute,vCPU·月,allocated,40,40,,\n" +
			"C01,vCPU again,compute,vCPU·月,allocated,40,40,,\n" +
			"C09,流量,Network,GB,metered,0.8,,,\n",
			func(p string) []string { return []string{"catalog", "import", p, "--effective", "2027-01-01"} },
			[]string{
				"第 3 行（品目 C01），列 “code”：品目 C01 出现了两次（另见第 2 行）",
				"第 4 行（品目 C09），列 “category”：“Network”不是类别名称（应为小写英文单词，如 compute、storage、network）",
				"第 4 行（品目 C09），列 “meter_metric”：按量计费的品目须写明计价所依据的用量指标",
				"第 4 行（品目 C09），列 “meter_agg”：按量计费的品目须写明汇总方式（sum、max、avg、p95、avg_daily_max）",
			}},
		{"adaptations", "ad.csv", "resource_type,item_code\necs.x,C99\necs.x,C01\n",
			func(p string) []string { return []string{"catalog", "adapt", p} },
			[]string{
				"第 2 行（资源类型 ecs.x），列 “item_code”：未知的品目 C99（不在任何服务目录版本中）",
				"第 3 行（资源类型 ecs.x），列 “resource_type”：资源类型 ecs.x 出现了两次（另见第 2 行）",
			}},
		{"departments", "d.csv", "id,name,parent_id\nD07,区审计局,D99\nD07,区审计局,\n",
			func(p string) []string { return []string{"org", "import", "--departments", p} },
			[]string{
				"第 3 行（部门 D07），列 “id”：部门 D07 出现了两次（另见第 2 行）",
				"第 2 行（部门 D07），列 “parent_id”：部门 D07（区审计局）的上级部门 D99 未知",
			}},
		{"projects", "p.csv", "id,name,department_id,year,category,approved\nP07,审计系统,D99,2026,om,yes\nP08,审计系统二期,D01,20266,om,true\n",
			func(p string) []string { return []string{"org", "import", "--projects", p} },
			[]string{
				"第 2 行（项目 P07，年度 2026），列 “department_id”：未知的部门 D99",
				"第 2 行（项目 P07，年度 2026），列 “approved”：“yes”不是 true 或 false",
				"第 3 行（项目 P08，年度 20266），列 “year”：“20266”不是年度（2000～2100）",
			}},
		{"vendors", "v.csv", "id,name\nV7,甲\nV7,乙\n",
			func(p string) []string { return []string{"org", "import", "--vendors", p} },
			[]string{"第 3 行（服务商 V7），列 “id”：服务商 V7 出现了两次（另见第 2 行）"}},
		{"orders", "o.csv", ordersHead +
			"WO-50,open,2026-11-01,D99,P01,V9,internet,C01,2,r-50,,\n" +
			"WO-51,change,2026-11-05,D01,P01,V1,internet,C01,2,r-51,,\n",
			func(p string) []string { return []string{"orders", "import", p} },
			[]string{
				"第 2 行（工单 WO-50），列 “department_id”：未知的部门 D99",
				"第 2 行（工单 WO-50），列 “vendor_id”：未知的服务商 V9",
				"第 3 行（工单 WO-51），列 “event”：change 事件早于开通：工单 WO-51 没有 open 事件",
			}},
		{"acceptance", "a.csv", "vendor_id,period,result,score,availability,security_valid_until\nV9,2026-12,passed,101,,\nV1,2026-13,passed,90,,\n",
			func(p string) []string { return []string{"acceptance", "import", p} },
			[]string{
				"第 2 行（服务商 V9，月份 2026-12），列 “vendor_id”：未知的服务商 V9",
				"第 2 行（服务商 V9，月份 2026-12），列 “score”：101 超过 100",
				"第 3 行（服务商 V1，月份 2026-13），列 “period”：“2026-13”不是 YYYY-MM 格式的月份",
			}},
		{"budgets", "b.csv", "project_id,year,amount\nP01,2026,1000.005\nP04,2026,10.00\n",
			func(p string) []string { return []string{"budgets", "import", p} },
			[]string{
				"第 2 行（项目 P01，年度 2026），列 “amount”：“1000.005”不是金额：请写成 1234.56 这样的数，最多两位小数",
				"第 3 行（项目 P04，年度 2026），列 “year”：项目 P04 未获批列入 2026 年度（其费用不列入项目资金，没有预算）",
			}},
		{"thresholds", "t.csv", "effective,warning,over,forecast_over\n2026-12-01,0.90,0.80,1.00\n2026-12-02,0.80,1.00,11\n",
			func(p string) []string { return []string{"budgets", "thresholds", "import", p} },
			[]string{
				"第 2 行（生效日期 2026-12-01），列 “warning”：预警比例 0.9 高于超支比例 0.8",
				"第 3 行（生效日期 2026-12-02），列 “forecast_over”：比例 11 不在 (0, 10] 之内",
			}},
		{"payments", "pay.csv", "voucher_no,vendor_id,period,amount,paid_date\nPZ-1,V1,2026-11,0,2026-12-05\nPZ-2,V1,2026-11,10.00,2026-12-32\n",
			func(p string) []string { return []string{"payments", "import", p} },
			[]string{
				"第 2 行（凭证 PZ-1），列 “period”：2026-11 既未结账也未预估：该月尚无应付款",
				"第 2 行（凭证 PZ-1），列 “amount”：金额为零",
				"第 3 行（凭证 PZ-2），列 “period”：2026-11 既未结账也未预估：该月尚无应付款",
				"第 3 行（凭证 PZ-2），列 “paid_date”：“2026-12-32”不是 YYYY-MM-DD 格式的日期",
			}},
		{"redundancy ratios", "r.csv", "kind,effective,ratio,sizes\nvcpu,2026-01-01,0.2,4|2\ndisk,2026-01-01,0.2,\n",
			func(p string) []string { return []string{"idle", "config", "import", p} },
			[]string{
				"第 2 行（资源 vcpu，生效日期 2026-01-01），列 “sizes”：2 不大于前一个规格 4：规格须由小到大排列",
				"第 3 行（资源 disk，生效日期 2026-01-01），列 “kind”：“disk”不是冗余系数适用的资源：应为 vcpu 或 memory",
			}},
		{"redundancy ratios twice", "r2.csv", "kind,effective,ratio\nmemory,2026-01-01,0.2\nmemory,2026-01-01,0.3\n",
			func(p string) []string { return []string{"idle", "config", "import", p} },
			[]string{"第 3 行（资源 memory，生效日期 2026-01-01），列 “effective”：内存（GB）有第二个 2026-01-01 生效的版本（第一个见第 2 行）"}},
		{"deduction rules", "ru.csv", "group,threshold,rate_percent\nresult,passed,0\nresult,deferred,10\nresult,failed,30\nscore,abc,5\n",
			func(p string) []string { return []string{"rules", "import", p, "--effective", "2026-12"} },
			[]string{
				"第 2 行（月份 2026-12），列 “group”：2026-12 生效的规则没有上限（cap）",
				"第 5 行（月份 2026-12，分组 score，阈值 abc），列 “threshold”：评价得分的阈值“abc”不是 0～100 之间的数",
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			path := h.file(c.file, c.body)
			want := []string{"文件 " + path + " 未受理，未存储任何内容：共 " + strconv.Itoa(len(c.want)) + " 处错误：\n"}
			for _, w := range c.want {
				want = append(want, "\n  文件 "+path+" "+w+"\n")
			}
			msg := h.refused(want, c.args(path)...)
			for _, l := range strings.Split(msg, "\n") {
				if strings.HasPrefix(l, "  ") {
					assert.True(t, strings.HasPrefix(l, "  文件 "+path+" 第 "), "every error is coded, in Chinese, with its line: %q", l)
				}
			}
		})
	}
}
