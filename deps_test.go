package ksql_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// The dependency direction of ARCHITECTURE.md, enforced: each rule names
// a package (prefix) and what it must not depend on, directly or not; and
// each third-party library sits behind exactly one package of ours.

const module = "github.com/ksqlgo/ksql"

type pkgInfo struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkgInfo
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func TestDependencyDirection(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{m("sql/types"), []string{module + "/"}},
		{m("state"), []string{module + "/"}},
		{m("broker"), []string{m("sql"), m("catalog"), m("planner"), m("exec"), m("state"), m("engine"), m("rest"), m("cli")}},
		{m("catalog"), []string{m("sql/parser"), m("planner"), m("exec"), m("state"), m("broker"), m("engine"), m("rest"), m("cli")}},
		{m("planner"), []string{m("exec"), m("state"), m("broker"), m("engine"), m("rest"), m("cli")}},
		{m("exec"), []string{m("engine"), m("rest"), m("cli")}},
		{m("engine"), []string{m("rest"), m("cli")}},
		{m("rest"), []string{m("cli")}},
		// rest/rqtt is a test harness of the server: it may import rest and
		// engine; nothing but cmd/ksql imports it.
		{m("engine"), []string{m("rest/rqtt")}},
		{m("rest"), []string{m("rest/rqtt")}},
		{m("cli"), []string{m("rest/rqtt")}},
		{m("cli"), []string{m("engine"), m("exec"), m("planner"), m("state"), m("broker")}},
	}
	// exec, state and broker never see the parser: no dependency on it,
	// and no direct import of the AST (bound plans reach exec through the
	// planner's own types).
	for _, p := range []string{"exec", "state", "broker"} {
		rules = append(rules, struct {
			pkg       string
			forbidden []string
		}{m(p), []string{module + "/sql", "github.com/pingcap/tidb"}})
	}
	pkgs := listPackages(t)
	for _, p := range pkgs {
		for _, dir := range []string{"exec", "state", "broker"} {
			if !under(p.ImportPath, m(dir)) {
				continue
			}
			for _, imp := range p.Imports {
				if imp == m("sql/ast") {
					t.Errorf("%s imports the AST directly; exec, state and broker read plans only", p.ImportPath)
				}
			}
		}
		for _, r := range rules {
			if !under(p.ImportPath, r.pkg) {
				continue
			}
			for _, d := range p.Deps {
				for _, f := range r.forbidden {
					if f == module+"/" {
						if strings.HasPrefix(d, f) {
							t.Errorf("%s must not import any project package, but depends on %s", p.ImportPath, d)
						}
						continue
					}
					if d == f || (f != module+"/sql" && under(d, f)) || (strings.HasPrefix(f, "github.com/") && !strings.HasPrefix(f, module) && strings.HasPrefix(d, f)) {
						t.Errorf("%s must not depend on %s (ARCHITECTURE.md), but depends on %s", p.ImportPath, f, d)
					}
				}
			}
		}
	}
}

func TestThirdPartyLibrariesHaveOneOwner(t *testing.T) {
	owners := map[string]string{
		"github.com/pingcap/tidb":       module + "/sql",
		"github.com/cockroachdb/pebble": module + "/state",
		"github.com/go-chi/chi":         module + "/rest",
		"golang.org/x/net":              module + "/rest",
		"github.com/coder/websocket":    module + "/rest",
		"github.com/chzyer/readline":    module + "/cli",
		"github.com/twmb/franz-go":      module + "/broker",
	}
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			for lib, owner := range owners {
				if !strings.HasPrefix(imp, lib) {
					continue
				}
				ok := p.ImportPath == owner
				if lib == "github.com/twmb/franz-go" {
					ok = under(p.ImportPath, owner) ||
						// The chaos harness, a test tool, serves kfake
						// (franz-go's fake Kafka) to the server it drives.
						(p.ImportPath == module+"/cmd/ksqlchaos" && imp == kfakePkg)
				}
				if !ok {
					t.Errorf("%s imports %s; only %s may (ARCHITECTURE.md: each library behind one package)", p.ImportPath, imp, owner)
				}
			}
		}
	}
}

const kfakePkg = "github.com/twmb/franz-go/pkg/kfake"

// TestKsqlBinaryHasNoKfake: the fake Kafka cluster is for tests and the
// chaos harness; it is never linked into the ksql binary.
func TestKsqlBinaryHasNoKfake(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.ImportPath != module+"/cmd/ksql" {
			continue
		}
		for _, d := range p.Deps {
			if d == kfakePkg {
				t.Errorf("%s depends on %s", p.ImportPath, kfakePkg)
			}
		}
		return
	}
	t.Fatalf("%s not found", module+"/cmd/ksql")
}
