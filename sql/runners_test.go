package chstore

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The calls that send SQL to a server: a query, a statement, a batch.
var serverCalls = map[string]bool{
	"Query": true, "QueryRow": true, "Exec": true, "Select": true,
	"PrepareBatch": true, "AsyncInsert": true,
}

// runnersFile holds the runners, the only functions that send a query type's SQL.
const runnersFile = "query.go"

// connWrappers are the other functions allowed to make those calls, each with its reason:
// they are the connection itself (a driver.Conn that wraps another), not a query.
var connWrappers = map[string]string{
	"retryConn.Query":         "cluster.go: the cluster's connection retries a query on the next live node",
	"retryConn.QueryRow":      "cluster.go: the cluster's connection retries a query on the next live node",
	"retryConn.Exec":          "cluster.go: the cluster's connection retries a statement on the next live node",
	"retryConn.Select":        "cluster.go: the cluster's connection retries a query on the next live node",
	"insertConn.PrepareBatch": "settings.go: the connection that sends the server's insert settings with every batch",
	"insertConn.Exec":         "settings.go: the connection that sends the server's insert settings with every INSERT statement",
}

// sourceFiles parses the package's non-test files.
func sourceFiles(t *testing.T) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = f
	}
	return fset, files
}

// funcName is a function's name, its receiver's type first for a method (T.m).
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	switch r := typ.(type) {
	case *ast.Ident:
		return r.Name + "." + fd.Name.Name
	case *ast.IndexExpr:
		if id, ok := r.X.(*ast.Ident); ok {
			return id.Name + "." + fd.Name.Name
		}
	}
	return fd.Name.Name
}

// Every query, statement and insert of the store goes through the runners of query.go
// (runQuery, runScan, runRow, streamQuery, execOn, sendBlock and the inserts built on
// them): no other function of the package sends SQL (calls Query, QueryRow, Exec, Select,
// PrepareBatch or AsyncInsert on a connection), but the connection wrappers named in
// connWrappers. A query written by hand elsewhere fails here.
func TestSQLOnlyThroughRunners(t *testing.T) {
	fset, files := sourceFiles(t)
	used := map[string]bool{}
	var bad []string
	for name, f := range files {
		if name == runnersFile {
			continue
		}
		for _, d := range f.Decls {
			fn := "a package-level declaration"
			if fd, ok := d.(*ast.FuncDecl); ok {
				fn = funcName(fd)
			}
			ast.Inspect(d, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 { // url.Values' Query() takes none
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || !serverCalls[sel.Sel.Name] {
					return true
				}
				if _, ok := connWrappers[fn]; ok {
					used[fn] = true
					return true
				}
				bad = append(bad, fset.Position(call.Pos()).String()+": "+fn+" calls "+sel.Sel.Name)
				return true
			})
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s outside the runners (%s): run it through a runner of %s", b, runnersFile, runnersFile)
	}
	for fn, why := range connWrappers {
		if !used[fn] {
			t.Errorf("allowlisted %s (%s) makes no such call any more: remove it from connWrappers", fn, why)
		}
	}
}

// Every query type (a type with a toSQL method) has a row in query_test.go's tables of SQL
// and arguments (TestQuerySQL, TestUsageAggregatesSQL, TestStatementSQL): the type, or a
// function that makes one (tableRowsQuery makes a countQuery), is named there.
func TestEveryQueryTypeHasSQLRow(t *testing.T) {
	_, files := sourceFiles(t)
	var types []string
	makers := map[string][]string{} // a type's constructors (functions that return it)
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if fd.Recv == nil && fd.Type.Results != nil {
				for _, r := range fd.Type.Results.List {
					if id, ok := r.Type.(*ast.Ident); ok {
						makers[id.Name] = append(makers[id.Name], fd.Name.Name)
					}
				}
			}
			if fd.Name.Name != "toSQL" || fd.Recv == nil {
				continue
			}
			typ, _, _ := strings.Cut(funcName(fd), ".")
			types = append(types, typ)
		}
	}
	if len(types) < 100 {
		t.Fatalf("found %d query types: is the parse wrong?", len(types))
	}
	fset := token.NewFileSet()
	src, err := os.ReadFile("query_test.go")
	if err != nil {
		t.Fatal(err)
	}
	qt, err := parser.ParseFile(fset, "query_test.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	ast.Inspect(qt, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			named[id.Name] = true
		}
		return true
	})
	sort.Strings(types)
	for _, typ := range slices.Compact(types) {
		if !named[typ] && !slices.ContainsFunc(makers[typ], func(m string) bool { return named[m] }) {
			t.Errorf("query type %s has no row in query_test.go (nor has a function that makes one)", typ)
		}
	}
}

// sqlText is a string that starts like a statement (the keyword in capitals, as the
// package writes its SQL; prose and error messages do not).
var sqlText = regexp.MustCompile("^[\"`]\\s*(SELECT|INSERT|ALTER|CREATE|SYSTEM|DROP|OPTIMIZE|TRUNCATE|RENAME|SHOW|DETACH|ATTACH|EXCHANGE|KILL|WITH)\\s")

// ddlText are the other places allowed to write SQL text, each with its reason.
var ddlText = map[string]string{
	"schemaMigrationsTable":       "chstore.go/cluster.go: the migrations' bookkeeping table, DDL like the migration files, run as migrationDDL by Migrate and rewritten ON CLUSTER",
	"clusterRewriter.rewrite":     "cluster.go: the migration files' DDL rewritten ON CLUSTER (sharded, replicated), run as migrationDDL",
	"clusterRewriter.createTable": "cluster.go: the migration files' CREATE TABLE rewritten ON CLUSTER (a local Replicated table and its Distributed one), run as migrationDDL",
}

// Every SQL text of the package is written in a query type's toSQL (or in a function
// that makes a query type, like tableRowsQuery), where query_test.go's rows hold it, or
// in the migrations' DDL named in ddlText: no statement is written inline.
func TestSQLTextOnlyInQueryTypes(t *testing.T) {
	fset, files := sourceFiles(t)
	queryTypes := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "toSQL" && fd.Recv != nil {
				typ, _, _ := strings.Cut(funcName(fd), ".")
				queryTypes[typ] = true
			}
		}
	}
	makesQuery := func(fd *ast.FuncDecl) bool {
		if fd.Type.Results == nil {
			return false
		}
		for _, r := range fd.Type.Results.List {
			if id, ok := r.Type.(*ast.Ident); ok && queryTypes[id.Name] {
				return true
			}
		}
		return false
	}
	used := map[string]bool{}
	var bad []string
	for _, f := range files {
		for _, d := range f.Decls {
			where := "a package-level declaration"
			switch d := d.(type) {
			case *ast.FuncDecl:
				where = funcName(d)
				if d.Name.Name == "toSQL" && d.Recv != nil || makesQuery(d) {
					continue
				}
			case *ast.GenDecl:
				if len(d.Specs) == 1 {
					if vs, ok := d.Specs[0].(*ast.ValueSpec); ok && len(vs.Names) == 1 {
						where = vs.Names[0].Name
					}
				}
			}
			ast.Inspect(d, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING || !sqlText.MatchString(lit.Value) {
					return true
				}
				if _, ok := ddlText[where]; ok {
					used[where] = true
					return true
				}
				bad = append(bad, fset.Position(lit.Pos()).String()+" in "+where)
				return true
			})
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("SQL written inline at %s: write it in a query type's toSQL (and its row in query_test.go)", b)
	}
	for w, why := range ddlText {
		if !used[w] {
			t.Errorf("allowlisted %s (%s) writes no SQL any more: remove it from ddlText", w, why)
		}
	}
}
