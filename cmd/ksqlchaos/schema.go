package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// catalogView is what SHOW STREAMS, TABLES and QUERIES report.
type catalogView struct {
	sources map[string]bool         // upper-case names
	writers map[string][]queryState // sink -> queries writing it
}

type queryState struct {
	ID    string
	State string
}

func (c *campaign) exec(srv *server, statements string) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	_, err := srv.ksql(ctx, statements)
	if err != nil {
		return fmt.Errorf("%s: %w", firstLine(statements), err)
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func (c *campaign) show(srv *server) (catalogView, error) {
	view := catalogView{sources: map[string]bool{}, writers: map[string][]queryState{}}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	ents, err := srv.ksql(ctx, "SHOW STREAMS; SHOW TABLES; SHOW QUERIES;")
	if err != nil {
		return view, err
	}
	for _, raw := range ents {
		var e struct {
			Streams []struct{ Name string } `json:"streams"`
			Tables  []struct{ Name string } `json:"tables"`
			Queries []struct {
				ID    string   `json:"id"`
				State string   `json:"state"`
				Sinks []string `json:"sinks"`
			} `json:"queries"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return view, fmt.Errorf("bad SHOW answer %s: %w", raw, err)
		}
		for _, s := range e.Streams {
			view.sources[strings.ToUpper(s.Name)] = true
		}
		for _, t := range e.Tables {
			view.sources[strings.ToUpper(t.Name)] = true
		}
		for _, q := range e.Queries {
			for _, s := range q.Sinks {
				view.writers[strings.ToUpper(s)] = append(view.writers[strings.ToUpper(s)], queryState{ID: q.ID, State: q.State})
			}
		}
	}
	return view, nil
}

// createOutput creates an output's query, reading its input from the
// beginning.
func (c *campaign) createOutput(srv *server, o output) error {
	return c.exec(srv, "SET 'auto.offset.reset'='earliest';\n"+o.SQL)
}

// ensureSchema creates what is missing of the workload: the input streams
// and every output with a query writing it. An output whose source exists
// without its query (a stop came between TERMINATE and DROP) is dropped
// with its topic and created again; so is one dropped before a stop came
// between DROP and CREATE. Either way its output is rebuilt from the whole
// input, as the model expects.
func (c *campaign) ensureSchema(srv *server) error {
	view, err := c.show(srv)
	if err != nil {
		return err
	}
	if !view.sources[inputStream] {
		if err := c.exec(srv, createInput); err != nil {
			return err
		}
	}
	if !view.sources[inputStreamB] {
		if err := c.exec(srv, createInputB); err != nil {
			return err
		}
	}
	for _, o := range outputs {
		if view.sources[o.Name] && len(view.writers[o.Name]) > 0 {
			c.created[o.Name] = true
			continue
		}
		if view.sources[o.Name] {
			if err := c.exec(srv, fmt.Sprintf("DROP %s %s DELETE TOPIC;", o.Kind, o.Name)); err != nil {
				return err
			}
		}
		c.setIncarnation(o.Name)
		if err := c.createOutput(srv, o); err != nil {
			return err
		}
		if c.created[o.Name] {
			c.mu.Lock()
			c.sum.Repairs++
			c.mu.Unlock()
			c.logf("  %s was missing or had no query: created again", o.Name)
		}
		c.created[o.Name] = true
	}
	return nil
}

// setIncarnation records that the current run (re)creates an output: its
// topic's offsets start again.
func (c *campaign) setIncarnation(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.incarnation[name] = c.run
}

// dropRecreate drops an output with its topic and creates it again with
// the same statement: TERMINATE its query (DROP refuses a source a query
// writes), DROP ... DELETE TOPIC, CREATE ... AS SELECT from the earliest
// input.
func (c *campaign) dropRecreate(n int, srv *server, o output) {
	err := func() error {
		view, err := c.show(srv)
		if err != nil {
			return err
		}
		for _, q := range view.writers[o.Name] {
			if err := c.exec(srv, "TERMINATE "+q.ID+";"); err != nil {
				return err
			}
		}
		if err := c.exec(srv, fmt.Sprintf("DROP %s %s DELETE TOPIC;", o.Kind, o.Name)); err != nil {
			return err
		}
		c.setIncarnation(o.Name)
		return c.createOutput(srv, o)
	}()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.sum.DropsCut++
		c.logf("run %d: drop/recreate of %s interrupted: %v", n, o.Name, err)
		return
	}
	c.sum.Drops++
	c.logf("run %d: dropped %s with its topic and created it again", n, o.Name)
}
