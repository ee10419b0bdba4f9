package sql

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestZZScan(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(conformanceDir, "*.json"))
	for _, file := range files {
		data, _ := os.ReadFile(file)
		var f struct{ Tests []struct {
			Name string
			Statements []string
			ExpectedException map[string]any
		} }
		json.Unmarshal(data, &f)
		for _, tc := range f.Tests {
			if tc.ExpectedException == nil { continue }
			typ, _ := tc.ExpectedException["type"].(string)
			msg, _ := tc.ExpectedException["message"].(string)
			var errs []string
			for _, st := range tc.Statements {
				st = strings.ReplaceAll(st, "{FORMAT}", "JSON")
				if _, err := Parse(st); err != nil { errs = append(errs, err.Error()) }
			}
			parseFail := strings.Contains(typ, "ParseFailed")
			if parseFail != (len(errs) > 0) || len(errs) > 0 {
				fmt.Printf("== %s / %s [%s] %q\n  ours: %v\n", filepath.Base(file), tc.Name, typ, msg, errs)
			}
		}
	}
}
