package kafkaproto

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/ksqlgo/ksql/broker"
)

// ClientLog is a broker.Log over an external Kafka cluster: the client
// side of this package. It also implements broker.LogDecidedTxns: its
// transactions are Kafka transactions, decided by Kafka.
//
// It holds a few franz-go clients, each with its own connections:
//
//   - cl: admin requests (metadata, topics, configs, offsets, groups),
//     reads (raw Fetch requests to the partition leader, MaxWait 0) and
//     non-transactional appends (an idempotent producer, acks=all);
//   - waitCl: the long-poll fetches of Wait (client_read.go), kept off
//     cl's connections because a broker answers the requests of one
//     connection in order, so a long poll would hold reads up;
//   - one transactional producer per producer name (client_txn.go).
//
// Partition leaders and topic ids come from Metadata requests and are
// cached per topic; a leader error refreshes them.
type ClientLog struct {
	cfg    ClientConfig
	cl     *kgo.Client
	waitCl *kgo.Client
	seeds  string

	mu        sync.Mutex
	closed    bool
	done      chan struct{} // closed by Close
	topics    map[string]*topicMeta
	readers   map[broker.TopicPartition]*partReader
	producers map[string]*txnProducer

	produceMu sync.Mutex // held while one Append enqueues its records (contiguity)
	waits     waitSet
	fetches   atomic.Int64 // Fetch requests sent by reads (tests)
}

// ClientConfig configures Dial.
type ClientConfig struct {
	// SeedBrokers are host:port addresses of some brokers of the cluster.
	SeedBrokers []string
	// TLS, if set, is used for every connection.
	TLS *tls.Config
	// SASLUser and SASLPassword, if SASLUser is set, authenticate with
	// SASL/PLAIN (over TLS, unless the network is trusted).
	SASLUser, SASLPassword string
	// ClientID names the client in the brokers' logs and quotas
	// (default "ksql").
	ClientID string
	// TransactionalIDPrefix is prepended to a transaction's producer name
	// to make its Kafka transactional.id (the engine passes its service
	// id, so that two engines sharing a cluster never fence each other,
	// and a restarted engine fences its previous incarnation).
	TransactionalIDPrefix string
	// TransactionTimeout is how long Kafka keeps a transaction open
	// without it being ended before aborting it (default 1 minute; the
	// broker's transaction.max.timeout.ms bounds it).
	TransactionTimeout time.Duration
	// ReplicationFactor of created topics (0: the broker's default).
	ReplicationFactor int16
	// RetryTimeout bounds how long a request is retried across
	// retriable errors and lost connections (default 30 seconds); the
	// context of each call bounds it too.
	RetryTimeout time.Duration
	// Logf, if set, receives franz-go's warnings and errors.
	Logf func(format string, args ...any)
}

// Tunables, not worth a setting yet.
const (
	// fetchChunk is how much one read fetches at least: what the caller
	// does not take is kept for its next Read (client_read.go).
	fetchChunk = 1 << 20
	// waitPoll is the longest a Wait long poll is held by the broker
	// before it is issued again with the waiters registered meanwhile.
	waitPoll = 50 * time.Millisecond
	// metadataWait bounds how long CreateTopic and DeleteTopic wait for
	// the change to show in metadata.
	metadataWait = 30 * time.Second
	// leaderRetries is how many times a request that met a leader error
	// (moved leader, topic still propagating) is retried.
	leaderRetries = 8
)

// versions caps the request versions: every request this package builds
// by hand addresses topics by name (Fetch below 13, OffsetCommit and
// OffsetFetch below 10, DeleteTopics below 6), and transactions use
// Kafka's explicit AddPartitionsToTxn / AddOffsetsToTxn protocol (EndTxn
// below 5, TxnOffsetCommit below 5, Produce below 12), because
// CommitOffsetsTxn ends an offsets-only transaction with its own EndTxn,
// which must not bump the producer epoch behind franz-go's back
// (KIP-890 part 2). Kafka 4 serves all of these versions.
func versions() *kversion.Versions {
	v := kversion.Stable()
	for key, max := range map[kmsg.Key]int16{
		kmsg.Fetch: 12, kmsg.OffsetCommit: 9, kmsg.OffsetFetch: 9, kmsg.DeleteTopics: 5,
		kmsg.EndTxn: 4, kmsg.TxnOffsetCommit: 4, kmsg.Produce: 11,
	} {
		v.SetMaxKeyVersion(int16(key), max)
	}
	return v
}

// Dial connects to the cluster and checks that it answers a Metadata
// request before returning.
func Dial(ctx context.Context, cfg ClientConfig) (*ClientLog, error) {
	if len(cfg.SeedBrokers) == 0 {
		return nil, errors.New("kafka: no seed brokers")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "ksql"
	}
	if cfg.TransactionTimeout <= 0 {
		cfg.TransactionTimeout = time.Minute
	}
	if cfg.RetryTimeout <= 0 {
		cfg.RetryTimeout = 30 * time.Second
	}
	l := &ClientLog{
		cfg:       cfg,
		seeds:     strings.Join(cfg.SeedBrokers, ","),
		done:      make(chan struct{}),
		topics:    map[string]*topicMeta{},
		readers:   map[broker.TopicPartition]*partReader{},
		producers: map[string]*txnProducer{},
	}
	var err error
	l.cl, err = kgo.NewClient(l.opts(
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	l.waitCl, err = kgo.NewClient(l.opts()...)
	if err != nil {
		l.cl.Close()
		return nil, fmt.Errorf("kafka: %w", err)
	}
	// A Metadata request for no topic: the cluster answers with its
	// brokers, which both clients then know by id.
	for _, c := range []*kgo.Client{l.cl, l.waitCl} {
		if err := brokersOf(ctx, c); err != nil {
			l.cl.Close()
			l.waitCl.Close()
			return nil, fmt.Errorf("cannot reach Kafka at %s: %w", l.seeds, err)
		}
	}
	return l, nil
}

// opts are the options every client of l shares, then extra.
func (l *ClientLog) opts(extra ...kgo.Opt) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(l.cfg.SeedBrokers...),
		kgo.ClientID(l.cfg.ClientID),
		kgo.MaxVersions(versions()),
		kgo.RetryTimeout(l.cfg.RetryTimeout),
	}
	if l.cfg.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(l.cfg.TLS.Clone()))
	}
	if l.cfg.SASLUser != "" {
		opts = append(opts, kgo.SASL(plain.Auth{User: l.cfg.SASLUser, Pass: l.cfg.SASLPassword}.AsMechanism()))
	}
	if l.cfg.Logf != nil {
		opts = append(opts, kgo.WithLogger(kgoLogger{l.cfg.Logf}))
	}
	return append(opts, extra...)
}

// kgoLogger passes franz-go's warnings and errors to Logf.
type kgoLogger struct{ logf func(string, ...any) }

func (kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (g kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	g.logf("kafka %s: %s %v", level, msg, keyvals)
}

// brokersOf issues a Metadata request for no topic on c.
func brokersOf(ctx context.Context, c *kgo.Client) error {
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	_, err := req.RequestWith(ctx, c)
	return err
}

// TxnDecidedByLog implements broker.LogDecidedTxns: Kafka decides.
func (l *ClientLog) TxnDecidedByLog() bool { return true }

var _ broker.LogDecidedTxns = (*ClientLog)(nil)

// enter fails once l is closed.
func (l *ClientLog) enter() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("kafka %s: %w", l.seeds, broker.ErrClosed)
	}
	return nil
}

// Close aborts the transactions still open (best effort, a few seconds)
// and closes every client. Later calls return broker.ErrClosed.
func (l *ClientLog) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return fmt.Errorf("kafka %s: %w", l.seeds, broker.ErrClosed)
	}
	l.closed = true
	close(l.done)
	producers := l.producers
	l.producers = map[string]*txnProducer{}
	l.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close(ctx, true)
		}()
	}
	wg.Wait()
	l.waits.closeAll()
	l.waitCl.Close()
	l.cl.Close()
	return nil
}

// ------------------------------------------------------------- metadata

// topicMeta is what l knows of a topic from its last Metadata answer.
type topicMeta struct {
	id      [16]byte
	leaders []int32 // by partition; -1 while a partition has none
}

// metadata asks the cluster about one topic and caches the answer.
func (l *ClientLog) metadata(ctx context.Context, topic string) (*topicMeta, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = []kmsg.MetadataRequestTopic{t}
	req.AllowAutoTopicCreation = false
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return nil, l.netErr(ctx, "metadata of "+topic, err)
	}
	if len(resp.Topics) != 1 {
		return nil, fmt.Errorf("kafka: metadata of %s: %d topics answered", topic, len(resp.Topics))
	}
	rt := resp.Topics[0]
	if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
		l.forget(topic)
		if errors.Is(err, kerr.UnknownTopicOrPartition) || errors.Is(err, kerr.InvalidTopicException) {
			return nil, fmt.Errorf("kafka: %w: %s", broker.ErrUnknownTopic, topic)
		}
		return nil, fmt.Errorf("kafka: metadata of %s: %w", topic, err)
	}
	m := &topicMeta{id: rt.TopicID, leaders: make([]int32, len(rt.Partitions))}
	for i := range m.leaders {
		m.leaders[i] = -1
	}
	for _, p := range rt.Partitions {
		if p.Partition < 0 || int(p.Partition) >= len(m.leaders) {
			return nil, fmt.Errorf("kafka: metadata of %s: partition %d of %d", topic, p.Partition, len(m.leaders))
		}
		if p.ErrorCode == 0 || p.ErrorCode == kerr.ReplicaNotAvailable.Code {
			m.leaders[p.Partition] = p.Leader
		}
	}
	l.mu.Lock()
	l.topics[topic] = m
	l.mu.Unlock()
	return m, nil
}

// forget drops what l caches of a topic: its metadata and (through
// readGen) every read-ahead.
func (l *ClientLog) forget(topic string) {
	readGen.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.topics, topic)
}

// leader returns the leader of a partition, from the cache unless
// refresh; ErrUnknownTopic / ErrUnknownPartition if there is no such
// partition. A partition without a leader is retried (a topic being
// created), bounded by ctx and leaderRetries.
func (l *ClientLog) leader(ctx context.Context, topic string, partition int32, refresh bool) (int32, error) {
	for attempt := 0; ; attempt++ {
		l.mu.Lock()
		m := l.topics[topic]
		l.mu.Unlock()
		if m == nil || refresh || (partition >= 0 && int(partition) >= len(m.leaders)) {
			var err error
			if m, err = l.metadata(ctx, topic); err != nil {
				return -1, err
			}
		}
		if partition < 0 || int(partition) >= len(m.leaders) {
			return -1, fmt.Errorf("kafka: %w: %s-%d (the topic has %d)", broker.ErrUnknownPartition, topic, partition, len(m.leaders))
		}
		if ld := m.leaders[partition]; ld >= 0 {
			return ld, nil
		}
		if attempt >= leaderRetries {
			return -1, fmt.Errorf("kafka: %s-%d has no leader", topic, partition)
		}
		if err := l.backoff(ctx, attempt); err != nil {
			return -1, err
		}
		refresh = true
	}
}

// backoff sleeps before retry attempt+1 (20 ms doubling, at most 1 s),
// or returns early with ctx's error or ErrClosed.
func (l *ClientLog) backoff(ctx context.Context, attempt int) error {
	d := min(20*time.Millisecond<<min(attempt, 6), time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-l.done:
		return fmt.Errorf("kafka %s: %w", l.seeds, broker.ErrClosed)
	}
}

// netErr describes a request that got no answer: the context's error if
// it ended (wrapped, so errors.Is finds it), else the cluster's.
func (l *ClientLog) netErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("kafka %s: %s: %w (%v)", l.seeds, what, ctx.Err(), err)
	}
	if errors.Is(err, kgo.ErrClientClosed) {
		return fmt.Errorf("kafka %s: %s: %w", l.seeds, what, broker.ErrClosed)
	}
	return fmt.Errorf("kafka %s: %s: %w", l.seeds, what, err)
}

// unsupported: the cluster does not serve the request (franz-go's
// unexported errBrokerTooOld, recognised by its message).
func unsupported(err error) bool {
	return err != nil && strings.Contains(err.Error(), "broker is too old")
}

// isLeaderErr: the partition's leader moved or is not known yet (also a
// topic that some broker does not know yet); metadata is refreshed and
// the request retried.
func isLeaderErr(err error) bool {
	for _, e := range []*kerr.Error{
		kerr.NotLeaderForPartition, kerr.LeaderNotAvailable, kerr.FencedLeaderEpoch,
		kerr.UnknownLeaderEpoch, kerr.UnknownTopicOrPartition, kerr.UnknownTopicID,
		kerr.ReplicaNotAvailable, kerr.NotCoordinator, kerr.KafkaStorageError,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ----------------------------------------------------------------- topics

// validTopic checks a name and configuration as Kafka does, so that every
// cluster refuses the same things with the same error.
func validTopic(name string, cfg broker.TopicConfig) error {
	if name == "" || name == "." || name == ".." || len(name) > 249 {
		return fmt.Errorf("%w: illegal topic name %q", broker.ErrInvalidTopic, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: illegal character %q in topic name %q (allowed: [a-zA-Z0-9._-])", broker.ErrInvalidTopic, c, name)
		}
	}
	switch {
	case cfg.Partitions < 1:
		return fmt.Errorf("%w: topic %s: %d partitions (at least 1)", broker.ErrInvalidTopic, name, cfg.Partitions)
	case cfg.RetentionMs < -1, cfg.RetentionBytes < -1:
		return fmt.Errorf("%w: topic %s: negative retention", broker.ErrInvalidTopic, name)
	case cfg.CleanupPolicy != "" && cfg.CleanupPolicy != "delete" && cfg.CleanupPolicy != "compact":
		return fmt.Errorf("%w: topic %s: cleanup policy %q (delete or compact)", broker.ErrInvalidTopic, name, cfg.CleanupPolicy)
	}
	return nil
}

// CreateTopic implements broker.Log with a CreateTopics request, then
// waits (at most metadataWait) until Metadata shows every partition with
// a leader, so that the topic can be used at once.
func (l *ClientLog) CreateTopic(ctx context.Context, name string, cfg broker.TopicConfig) error {
	if err := l.enter(); err != nil {
		return err
	}
	if err := validTopic(name, cfg); err != nil {
		return err
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = int32(metadataWait.Milliseconds())
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = name
	t.NumPartitions = cfg.Partitions
	t.ReplicationFactor = -1
	if l.cfg.ReplicationFactor > 0 {
		t.ReplicationFactor = l.cfg.ReplicationFactor
	}
	config := func(k, v string) {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = k, kmsg.StringPtr(v)
		t.Configs = append(t.Configs, c)
	}
	if cfg.RetentionMs != 0 {
		config("retention.ms", strconv.FormatInt(cfg.RetentionMs, 10))
	}
	if cfg.RetentionBytes != 0 {
		config("retention.bytes", strconv.FormatInt(cfg.RetentionBytes, 10))
	}
	if cfg.CleanupPolicy != "" {
		config("cleanup.policy", cfg.CleanupPolicy)
	}
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return l.netErr(ctx, "create topic "+name, err)
	}
	if len(resp.Topics) != 1 {
		return fmt.Errorf("kafka: create topic %s: %d topics answered", name, len(resp.Topics))
	}
	if err := topicErr("create topic "+name, resp.Topics[0].ErrorCode, resp.Topics[0].ErrorMessage); err != nil {
		return err
	}
	l.forget(name)
	return l.awaitMetadata(ctx, name, true)
}

// DeleteTopic implements broker.Log with a DeleteTopics request, then
// waits (at most metadataWait) until Metadata no longer shows the topic.
func (l *ClientLog) DeleteTopic(ctx context.Context, name string) error {
	if err := l.enter(); err != nil {
		return err
	}
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = int32(metadataWait.Milliseconds())
	req.TopicNames = []string{name}
	t := kmsg.NewDeleteTopicsRequestTopic()
	t.Topic = kmsg.StringPtr(name)
	req.Topics = []kmsg.DeleteTopicsRequestTopic{t}
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return l.netErr(ctx, "delete topic "+name, err)
	}
	l.forget(name)
	if len(resp.Topics) != 1 {
		return fmt.Errorf("kafka: delete topic %s: %d topics answered", name, len(resp.Topics))
	}
	if err := topicErr("delete topic "+name, resp.Topics[0].ErrorCode, resp.Topics[0].ErrorMessage); err != nil {
		return err
	}
	return l.awaitMetadata(ctx, name, false)
}

// awaitMetadata polls Metadata until the topic is there with a leader
// for every partition (exists) or is gone (!exists).
func (l *ClientLog) awaitMetadata(ctx context.Context, name string, exists bool) error {
	ctx, cancel := context.WithTimeout(ctx, metadataWait)
	defer cancel()
	for attempt := 0; ; attempt++ {
		m, err := l.metadata(ctx, name)
		switch {
		case errors.Is(err, broker.ErrUnknownTopic):
			if !exists {
				return nil
			}
		case err != nil:
			return fmt.Errorf("waiting for topic %s to be %s: %w", name, map[bool]string{true: "created", false: "deleted"}[exists], err)
		case exists && !slices.Contains(m.leaders, -1):
			return nil
		}
		if err := l.backoff(ctx, attempt); err != nil {
			return fmt.Errorf("kafka: topic %s: %s, but metadata does not show it yet: %w", name, map[bool]string{true: "created", false: "deleted"}[exists], err)
		}
	}
}

// topicErr maps a CreateTopics / DeleteTopics error code to broker's
// errors, keeping Kafka's message.
func topicErr(what string, code int16, msg *string) error {
	err := kerr.ErrorForCode(code)
	if err == nil {
		return nil
	}
	detail := err.Error()
	if msg != nil && *msg != "" {
		detail += ": " + *msg
	}
	switch {
	case errors.Is(err, kerr.TopicAlreadyExists):
		return fmt.Errorf("kafka: %s: %w (%s)", what, broker.ErrTopicExists, detail)
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		return fmt.Errorf("kafka: %s: %w (%s)", what, broker.ErrUnknownTopic, detail)
	case errors.Is(err, kerr.InvalidTopicException), errors.Is(err, kerr.InvalidPartitions),
		errors.Is(err, kerr.InvalidReplicationFactor), errors.Is(err, kerr.InvalidReplicaAssignment),
		errors.Is(err, kerr.InvalidConfig), errors.Is(err, kerr.PolicyViolation):
		return fmt.Errorf("kafka: %s: %w (%s)", what, broker.ErrInvalidTopic, detail)
	}
	return fmt.Errorf("kafka: %s: %w", what, err)
}

// Topics implements broker.Log: every topic Metadata lists except Kafka's
// internal ones (__consumer_offsets, __transaction_state), sorted, with
// their configuration (DescribeConfigs).
func (l *ClientLog) Topics(ctx context.Context) ([]broker.TopicInfo, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = nil // all
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return nil, l.netErr(ctx, "list topics", err)
	}
	var out []broker.TopicInfo
	for _, t := range resp.Topics {
		if t.IsInternal || t.Topic == nil || t.ErrorCode != 0 {
			continue
		}
		out = append(out, broker.TopicInfo{Name: *t.Topic, Config: broker.TopicConfig{Partitions: int32(len(t.Partitions))}})
	}
	slices.SortFunc(out, func(a, b broker.TopicInfo) int { return strings.Compare(a.Name, b.Name) })
	if err := l.describeConfigs(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Topic implements broker.Log (Metadata and DescribeConfigs).
func (l *ClientLog) Topic(ctx context.Context, name string) (broker.TopicInfo, error) {
	if err := l.enter(); err != nil {
		return broker.TopicInfo{}, err
	}
	m, err := l.metadata(ctx, name)
	if err != nil {
		return broker.TopicInfo{}, err
	}
	info := []broker.TopicInfo{{Name: name, Config: broker.TopicConfig{Partitions: int32(len(m.leaders))}}}
	if err := l.describeConfigs(ctx, info); err != nil {
		return broker.TopicInfo{}, err
	}
	return info[0], nil
}

// describeConfigs fills the retention and cleanup settings of topics from
// DescribeConfigs. Only settings made for the topic itself count (source
// DYNAMIC_TOPIC_CONFIG); a cluster default reads as 0 / "" ("the log's
// default"), as TopicConfig has it. A cluster that does not serve
// DescribeConfigs leaves every setting at its default.
func (l *ClientLog) describeConfigs(ctx context.Context, topics []broker.TopicInfo) error {
	if len(topics) == 0 {
		return nil
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	byName := map[string]*broker.TopicConfig{}
	for i := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = topics[i].Name
		r.ConfigNames = []string{"retention.ms", "retention.bytes", "cleanup.policy"}
		req.Resources = append(req.Resources, r)
		byName[topics[i].Name] = &topics[i].Config
	}
	resp, err := req.RequestWith(ctx, l.cl)
	if unsupported(err) {
		return nil
	}
	if err != nil {
		return l.netErr(ctx, "describe topic configs", err)
	}
	for _, r := range resp.Resources {
		cfg := byName[r.ResourceName]
		if cfg == nil {
			continue
		}
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return fmt.Errorf("kafka: %w: %s", broker.ErrUnknownTopic, r.ResourceName)
			}
			return fmt.Errorf("kafka: describe configs of %s: %w", r.ResourceName, err)
		}
		for _, c := range r.Configs {
			if c.Value == nil || !explicitConfig(c) {
				continue
			}
			v := *c.Value
			switch c.Name {
			case "retention.ms":
				cfg.RetentionMs, _ = strconv.ParseInt(v, 10, 64)
			case "retention.bytes":
				cfg.RetentionBytes, _ = strconv.ParseInt(v, 10, 64)
			case "cleanup.policy":
				cfg.CleanupPolicy = v
			}
		}
	}
	return nil
}

// explicitConfig: the value was set for the topic (v1+: by its source;
// v0: not a default).
func explicitConfig(c kmsg.DescribeConfigsResponseResourceConfig) bool {
	if c.Source == kmsg.ConfigSourceUnknown || c.Source == -1 {
		return !c.IsDefault
	}
	return c.Source == kmsg.ConfigSourceDynamicTopicConfig
}
