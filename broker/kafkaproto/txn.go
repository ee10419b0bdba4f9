package kafkaproto

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ksqlgo/ksql/broker"
)

// txnCoordinator is Kafka's transaction coordinator. Transactional
// producers are not served yet: InitProducerId with a transactional id
// and transactional batches are refused.
type txnCoordinator struct{ s *Server }

func (c *txnCoordinator) initProducer(_ context.Context, _ *kmsg.InitProducerIDRequest, _ *kmsg.InitProducerIDResponse) int16 {
	return kerr.TransactionalIDAuthorizationFailed.Code
}

func (c *txnCoordinator) produceTxn(string, batchInfo, string, int32) (*broker.Txn, int16, string) {
	return nil, kerr.TransactionalIDAuthorizationFailed.Code, "transactional producers are not supported by this broker yet"
}
