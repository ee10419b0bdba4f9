package sql

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// conformanceDir holds ksqlDB's query-validation tests (never copied into
// the repository).
const conformanceDir = "../../shared/conformance/qtt"

type qttFile struct {
	Tests []struct {
		Name              string          `json:"name"`
		Statements        []string        `json:"statements"`
		Format            []string        `json:"format"`
		ExpectedException json.RawMessage `json:"expectedException"`
	} `json:"tests"`
}

// schemaFormats are the formats that need a schema registry; a statement
// that mentions one may fail for that reason alone.
var schemaFormats = []string{"AVRO", "PROTOBUF", "JSON_SR"}

// conformanceStatements returns every statement of the QTT files, with
// {FORMAT} replaced by the case's first format (JSON when it has none).
func conformanceStatements(t testing.TB, files []string) []string {
	var out []string
	for _, file := range files {
		f := readQTT(t, file)
		for _, tc := range f.Tests {
			for _, st := range tc.Statements {
				out = append(out, strings.ReplaceAll(st, "{FORMAT}", caseFormat(tc.Format)))
			}
		}
	}
	return out
}

func readQTT(t testing.TB, file string) qttFile {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var f qttFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return f
}

func caseFormat(formats []string) string {
	if len(formats) > 0 {
		return formats[0]
	}
	return "JSON"
}

// TestConformanceStatementsParse parses every statement of the QTT cases.
// Statements of cases that expect no exception must parse; for cases that
// expect one, the test reports how many statements the parser rejects.
func TestConformanceStatementsParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(conformanceDir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no conformance files in %s", conformanceDir)
	}
	var ok, total, expectedTotal, expectedRejected, skipped int
	var failures []string
	for _, file := range files {
		f := readQTT(t, file)
		for _, tc := range f.Tests {
			format := caseFormat(tc.Format)
			expectsError := len(tc.ExpectedException) > 0 && string(tc.ExpectedException) != "null"
			for _, st := range tc.Statements {
				st = strings.ReplaceAll(st, "{FORMAT}", format)
				_, err := Parse(st)
				if expectsError {
					expectedTotal++
					if err != nil {
						expectedRejected++
					}
					continue
				}
				total++
				if err == nil {
					ok++
					continue
				}
				if mentionsSchemaFormat(st) {
					skipped++
					continue
				}
				failures = append(failures, filepath.Base(file)+" / "+tc.Name+":\n"+st+"\n"+err.Error())
			}
		}
	}
	sort.Strings(failures)
	for _, f := range failures {
		t.Errorf("statement does not parse: %s", f)
	}
	t.Logf("statements of cases without expectedException: %d of %d parse (%d skipped: schema-registry formats)",
		ok, total, skipped)
	t.Logf("statements of cases with expectedException: %d of %d are rejected by the parser",
		expectedRejected, expectedTotal)
}

func mentionsSchemaFormat(st string) bool {
	up := strings.ToUpper(st)
	for _, f := range schemaFormats {
		if strings.Contains(up, f) {
			return true
		}
	}
	return false
}
