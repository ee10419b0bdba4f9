package qtt

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/sql"
)

func decodeB64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("header value is not base64: %q", s)
	}
	return b, nil
}

// RunPaths runs every QTT file named, or found (*.json) under the folders
// named, in lexical order.
func RunPaths(ctx context.Context, paths []string, opts Options, report func(Result)) error {
	files, err := TestFiles(paths)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := RunFile(ctx, f, opts, report); err != nil {
			return err
		}
	}
	return nil
}

// TestFiles lists the files named, and the files (*.json) found under the
// folders named, in lexical order.
func TestFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".json") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// RunTestRunner runs ksqlDB's ksql-test-runner form: a statements file, an
// input file {"inputs": [...]} and an output file {"outputs": [...]}.
func RunTestRunner(ctx context.Context, statementsFile, inputFile, outputFile string, opts Options) (Result, error) {
	text, err := os.ReadFile(statementsFile)
	if err != nil {
		return Result{}, err
	}
	stmts, err := splitStatements(string(text))
	if err != nil {
		return Result{}, err
	}
	c := Case{Name: filepath.Base(statementsFile), Statements: stmts}
	if inputFile != "" {
		if err := readRecords(inputFile, "inputs", &c.Inputs); err != nil {
			return Result{}, err
		}
	}
	if outputFile != "" {
		if err := readRecords(outputFile, "outputs", &c.Outputs); err != nil {
			return Result{}, err
		}
	}
	res := runCase(ctx, c, opts)
	res.Name = c.Name
	return res, nil
}

func readRecords(path, field string, dst *[]RecordNode) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	raw, ok := m[field]
	if !ok {
		return fmt.Errorf("%s: missing %q", path, field)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func splitStatements(text string) ([]string, error) { return sql.SplitStatements(text) }
