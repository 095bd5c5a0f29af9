package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/chserver"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// catalogDSN is a fresh database on a ClickHouse for the master-data command tests: the
// server of $CLOUDBILL_TEST_CLICKHOUSE, or one started in a temporary directory for this
// test alone.
func catalogDSN(t *testing.T) string {
	t.Helper()
	cfg := chstore.Config{Addr: os.Getenv("CLOUDBILL_TEST_CLICKHOUSE"), User: os.Getenv("CLOUDBILL_TEST_CLICKHOUSE_USER"), Password: os.Getenv("CLOUDBILL_TEST_CLICKHOUSE_PASSWORD")}
	if cfg.Addr == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		srv, err := chserver.Start(ctx, chserver.Config{Dir: t.TempDir(), KillWithParent: true})
		require.NoError(t, err)
		t.Cleanup(func() { _ = srv.Stop() })
		cfg = chstore.Config{Addr: srv.Addr, User: srv.User, Password: srv.Password}
	}
	cfg.Database = chtest.Name()
	db := cfg.Database
	t.Cleanup(func() {
		if s, err := chstore.Open(context.Background(), cfg); err == nil {
			_ = s.DropDatabase(context.Background(), db)
			_ = s.Close()
		}
	})
	return dsnOf(cfg)
}

func TestMasterDataCommands(t *testing.T) {
	dsn := catalogDSN(t)
	fixtures := filepath.Join("..", "..", "sql", "testdata", "catalog")
	fx := func(name string) string { return filepath.Join(fixtures, name) }
	cli := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"--clickhouse", dsn}, args...), &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}
	ok := func(want string, args ...string) {
		t.Helper()
		out, errOut, err := cli(args...)
		require.NoError(t, err, errOut)
		assert.Contains(t, out, want)
	}
	ok("catalog.csv: 21 rows read, 21 items accepted, 0 already present, 0 errors", "catalog", "import", fx("catalog.csv"), "--effective", "2026-01-01")
	ok("21 items accepted", "catalog", "import", "--effective", "2026-11-16", fx("catalog-2026-11-16.csv"))
	ok("2 adaptations accepted", "catalog", "adapt", fx("adaptations.csv"))
	ok("11 entries accepted", "org", "import", "--departments", fx("departments.csv"), "--projects", fx("projects.csv"), "--vendors", fx("vendors.csv"))
	ok("8 events accepted", "orders", "import", fx("orders.csv"))
	ok("0 events accepted, 8 already present, 0 errors\n  nothing new: nothing stored", "orders", "import", fx("orders.csv"))
	ok("2 records accepted", "acceptance", "import", fx("acceptance.csv"))

	t.Run("show table", func(t *testing.T) {
		out, errOut, err := cli("catalog", "show", "--date", "2026-11-20")
		require.NoError(t, err, errOut)
		assert.Contains(t, out, "catalog in force on 2026-11-20: version effective 2026-11-16")
		assert.Contains(t, out, "C01   云服务器 vCPU             compute     vCPU·月    allocated        38        38")
		assert.Contains(t, out, "N01   弹性公网IP                network     个·月      allocated      15.8         -")
		assert.Contains(t, out, "ecs.g6.large   C03   2核8G 适配为 2核4G 套餐")
	})
	t.Run("show csv re-imports as the same version", func(t *testing.T) {
		out, errOut, err := cli("catalog", "show", "--date", "2026-11-01", "--format", "csv")
		require.NoError(t, err, errOut)
		assert.True(t, strings.HasPrefix(out, "code,name,category,unit,billing,price_internet,price_extranet,meter_metric,meter_agg,mode\nB01,"), out)
		assert.Contains(t, out, "C01,云服务器 vCPU,compute,vCPU·月,allocated,40,40,,,shared\n")
		path := filepath.Join(t.TempDir(), "shown.csv")
		require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
		again, errOut, err := cli("catalog", "import", path, "--effective", "2026-01-01")
		require.NoError(t, err, errOut)
		assert.Contains(t, again, "0 items accepted, 21 already present")
	})
	t.Run("show before the first version", func(t *testing.T) {
		_, _, err := cli("catalog", "show", "--date", "2025-06-01")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "no catalog version is in force on 2025-06-01")
		assert.Equal(t, exitFailed, exitCode(err))
	})
	t.Run("refused file: exit 2, every error listed", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.csv")
		body := "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity\n" +
			"WO-9,change,2026-11-02,D01,P01,V1,extranet,C01,1\n" +
			"WO-8,open,2026-11-02,D01,P01,V1,extranet,N01,1\n"
		require.NoError(t, os.WriteFile(bad, []byte(body), 0o644))
		out, errOut, err := cli("orders", "import", fx("orders.csv"), bad)
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.Contains(t, out, "8 already present")
		// in Chinese: file, line, record, column and what is wrong
		assert.Contains(t, errOut, "文件 "+bad+" 未受理，未存储任何内容：共 2 处错误：\n")
		assert.Contains(t, errOut, "  文件 "+bad+" 第 2 行（工单 WO-9），列 “event”：change 事件早于开通：工单 WO-9 没有 open 事件\n")
		assert.Contains(t, errOut, "  文件 "+bad+" 第 3 行（工单 WO-8），列 “zone”：品目 N01（弹性公网IP）在 2026-11-02 不在电子政务外网业务区提供（2026-01-01 生效的服务目录版本中没有电子政务外网业务区的单价）\n")
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"catalog", "import", fx("catalog.csv")},
			{"catalog", "import", fx("catalog.csv"), "--effective", "2026-13-01"},
			{"catalog", "frobnicate"},
			{"catalog", "show", "--format", "xml"},
			{"org", "import"},
			{"orders", "import"},
			{"acceptance", "import", "a.csv", "b.csv"},
		} {
			_, _, err := cli(args...)
			require.Error(t, err, args)
			assert.Equal(t, exitBadInput, exitCode(err), "%v: %v", args, err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, _, err := cli("acceptance", "import", filepath.Join(t.TempDir(), "nope.csv"))
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.Contains(t, err.Error(), "nope.csv")
	})
}

func TestDisplayWidth(t *testing.T) {
	cases := map[string]int{"C01": 3, "云服务器 vCPU": 13, "vCPU·月": 7, "（更名）": 8, "": 0}
	for s, want := range cases {
		assert.Equal(t, want, displayWidth(s), s)
	}
}
