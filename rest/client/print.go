package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// PrintLines is a running PRINT's output. ksqlDB's /query answers PRINT
// with plain text, not the JSON array of a query: the detected formats
// ("Key format: JSON or KAFKA_STRING", "Value format: JSON"), then one
// line per record ("rowtime: ..., key: ..., value: ..., partition: 0"),
// with empty lines while the topic is idle. Next returns the lines
// without the empty ones until the stream ends (io.EOF: the LIMIT was
// reached, or the server ended it) or fails. Close ends the PRINT from
// the client's side (the server stops when the connection goes); it is
// safe to call from another goroutine than Next's and more than once.
type PrintLines struct {
	body io.ReadCloser
	rd   *bufio.Reader
	done bool
}

// maxPrintLine bounds one line of PRINT output (a record's value).
const maxPrintLine = 16 << 20

// Print runs PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n] through
// POST /query, as ksqlDB's CLI does.
func (c *Client) Print(ctx context.Context, q QueryRequest) (*PrintLines, error) {
	body := Request{KSQL: q.SQL, StreamsProperties: q.Properties, SessionVariables: q.SessionVariables}
	req, err := c.newRequest(ctx, http.MethodPost, "/query", body, "application/vnd.ksql.v1+json")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	return &PrintLines{body: resp.Body, rd: bufio.NewReaderSize(resp.Body, 64<<10)}, nil
}

// Next returns the next non-empty line, without its line end.
func (p *PrintLines) Next() (string, error) {
	for !p.done {
		line, err := p.readLine()
		if len(bytes.TrimSpace(line)) > 0 {
			if e := printError(line); e != nil {
				p.done = true
				return "", e
			}
			return string(bytes.TrimRight(line, "\r\n")), nil
		}
		if err != nil {
			p.done = true
			if !errors.Is(err, io.EOF) {
				return "", err
			}
		}
	}
	return "", io.EOF
}

func (p *PrintLines) readLine() ([]byte, error) {
	var out []byte
	for {
		chunk, err := p.rd.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > maxPrintLine {
			return nil, fmt.Errorf("PRINT: a line longer than %d bytes", maxPrintLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return out, err
	}
}

// printError recognizes the error object a server writes into the text
// stream when the PRINT fails after it started; record lines start with
// "rowtime:" and format lines with "Key format:" or "Value format:", so
// a JSON object with an error code is not a record.
func printError(line []byte) *Error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil
	}
	var e Error
	if json.Unmarshal(line, &e) != nil || e.ErrorCode == 0 || e.Message == "" {
		return nil
	}
	return &e
}

// Close ends the PRINT.
func (p *PrintLines) Close() error { return p.body.Close() }
