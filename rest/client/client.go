// Package client is a Go client of ksqlDB's REST API: POST /ksql with
// typed entities, push and pull queries streamed from POST /query (the
// JSON-array form ksqlDB's CLI reads) or POST /query-stream (the
// delimited form), POST /close-query, GET /info, GET /healthcheck and
// GET /is_valid_property, with optional basic authentication, over
// HTTP/1.1 or cleartext HTTP/2 (h2c with prior knowledge).
//
// It is written to ksqlDB's documented wire shapes, so it talks to a
// ksqlDB server as well as to this project's. It imports only the
// standard library; the shell (package cli) reaches servers only through
// it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Options configure a Client.
type Options struct {
	// Username and Password, when Username is set, go with every request
	// as HTTP basic authentication.
	Username, Password string
	// HTTP2 speaks cleartext HTTP/2 with prior knowledge (h2c) instead of
	// HTTP/1.1. ksqlDB serves the old streaming endpoint POST /query only
	// over HTTP/1.1; use QueryStream over HTTP/2.
	HTTP2 bool
	// HTTPClient replaces the default client (Timeout must be zero: push
	// queries run until closed).
	HTTPClient *http.Client
}

// Client talks to one server. It is safe for concurrent use.
type Client struct {
	base *url.URL
	opts Options
	hc   *http.Client
}

// New returns a client of the server at serverURL ("http://host:8088").
func New(serverURL string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("server address %q: %w", serverURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server address %q: expected http://host:port or https://host:port", serverURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if opts.HTTP2 {
			var p http.Protocols
			p.SetUnencryptedHTTP2(true)
			p.SetHTTP2(true)
			tr.Protocols = &p
		}
		hc = &http.Client{Transport: tr}
	}
	return &Client{base: u, opts: opts, hc: hc}, nil
}

// URL is the server's address as given to New.
func (c *Client) URL() string { return c.base.String() }

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Error is an error response of the server: ksqlDB's KsqlErrorMessage
// ("generic_error") or KsqlStatementErrorMessage ("statement_error", with
// the statement and the entities of the statements before it).
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode    int
	Type          string
	ErrorCode     int
	Message       string
	StatementText string
	Entities      []Entity
}

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("server answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

func (e *Error) UnmarshalJSON(b []byte) error {
	var w struct {
		Type          string   `json:"@type"`
		ErrorCode     int      `json:"error_code"`
		Message       string   `json:"message"`
		StatementText string   `json:"statementText"`
		Entities      []Entity `json:"entities"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	e.Type, e.ErrorCode, e.Message, e.StatementText, e.Entities = w.Type, w.ErrorCode, w.Message, w.StatementText, w.Entities
	return nil
}

// Request is ksqlDB's KsqlRequest (POST /ksql and POST /query).
type Request struct {
	KSQL                  string         `json:"ksql"`
	StreamsProperties     map[string]any `json:"streamsProperties,omitempty"`
	RequestProperties     map[string]any `json:"requestProperties,omitempty"`
	SessionVariables      map[string]any `json:"sessionVariables,omitempty"`
	CommandSequenceNumber *int64         `json:"commandSequenceNumber,omitempty"`
}

func (c *Client) newRequest(ctx context.Context, method, path string, body any, accept string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if c.opts.Username != "" {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	return req, nil
}

// do sends a request; a response that is not 2xx becomes an *Error.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, errorFrom(resp)
}

func errorFrom(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{StatusCode: resp.StatusCode}
	if err := json.Unmarshal(b, e); err != nil || (e.Message == "" && e.ErrorCode == 0) {
		e.Message = strings.TrimSpace(string(b))
		if e.Message == "" {
			e.Message = fmt.Sprintf("server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		}
	}
	e.StatusCode = resp.StatusCode
	return e
}

func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	req, err := c.newRequest(ctx, http.MethodGet, path, nil, "application/json")
	if err != nil {
		return err
	}
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: decoding the response: %w", path, err)
	}
	return nil
}

// Ksql runs statements other than SELECT and PRINT (POST /ksql) and
// returns one entity per statement. A statement the server refused is
// an *Error whose Entities hold the results of the statements before it.
func (c *Client) Ksql(ctx context.Context, r Request) ([]Entity, error) {
	req, err := c.newRequest(ctx, http.MethodPost, "/ksql", r, "application/vnd.ksql.v1+json")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []Entity
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("POST /ksql: decoding the response: %w", err)
	}
	return out, nil
}

// ServerInfo is GET /info's KsqlServerInfo.
type ServerInfo struct {
	Version        string `json:"version"`
	KafkaClusterID string `json:"kafkaClusterId"`
	KsqlServiceID  string `json:"ksqlServiceId"`
	ServerStatus   string `json:"serverStatus"`
}

// Info returns GET /info.
func (c *Client) Info(ctx context.Context) (ServerInfo, error) {
	var w struct {
		Info ServerInfo `json:"KsqlServerInfo"`
	}
	err := c.getJSON(ctx, "/info", &w)
	return w.Info, err
}

// HealthCheck is GET /healthcheck's answer.
type HealthCheck struct {
	IsHealthy   bool                         `json:"isHealthy"`
	Details     map[string]HealthCheckDetail `json:"details"`
	ServerState string                       `json:"serverState"`
}

// HealthCheckDetail is one check of a HealthCheck.
type HealthCheckDetail struct {
	IsHealthy bool `json:"isHealthy"`
}

// HealthCheck returns GET /healthcheck. ksqlDB answers 503 with the same
// body when unhealthy; that is returned as a HealthCheck, not an error.
func (c *Client) HealthCheck(ctx context.Context) (HealthCheck, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/healthcheck", nil, "application/json")
	if err != nil {
		return HealthCheck{}, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return HealthCheck{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return HealthCheck{}, errorFrom(resp)
	}
	var h HealthCheck
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return HealthCheck{}, fmt.Errorf("GET /healthcheck: decoding the response: %w", err)
	}
	return h, nil
}

// IsValidProperty asks whether a client may set a property
// (GET /is_valid_property/{name}). A property the server refuses is an
// *Error carrying its message.
func (c *Client) IsValidProperty(ctx context.Context, name string) error {
	var ok bool
	if err := c.getJSON(ctx, "/is_valid_property/"+url.PathEscape(name), &ok); err != nil {
		return err
	}
	if !ok {
		return &Error{StatusCode: http.StatusBadRequest, Type: "generic_error", ErrorCode: 40000, Message: "Property is not valid: " + name}
	}
	return nil
}

// CloseQuery ends a push query by id (POST /close-query).
func (c *Client) CloseQuery(ctx context.Context, queryID string) error {
	req, err := c.newRequest(ctx, http.MethodPost, "/close-query", map[string]string{"queryId": queryID}, "application/json")
	if err != nil {
		return err
	}
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Body.Close()
}

// IsNotFound reports whether err is the server's 404 (an endpoint or an
// entity it does not have).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}
