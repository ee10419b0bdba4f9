package kafkaproto_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// Produce and consume throughput of the Kafka listener over the embedded
// log, with franz-go on loopback (docs/benchmarks.md has the figures):
//
//	go test ./broker/kafkaproto -run '^$' -bench 'Listener|Kfake' -benchtime 200000x -count 3
//
// BenchmarkKfakeProduce is the same load against kfake, franz-go's
// in-memory fake Kafka in the same process: a reference that never
// touches a disk.
//
// b.SetBytes is the record value size, so MB/s is payload throughput.
// The log's sync policy is the one of ksql.log.sync: "always" (the
// default: a produce is acknowledged after fsync) or "interval".

func benchServer(b *testing.B, policy embedded.SyncPolicy) (addr string, l broker.Log) {
	b.Helper()
	lg, err := embedded.Open(b.TempDir(), embedded.Options{SyncPolicy: policy})
	if err != nil {
		b.Fatal(err)
	}
	srv := kafkaproto.NewServer(lg, kafkaproto.Config{})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	go srv.Serve(context.Background())
	b.Cleanup(func() {
		srv.Close()
		lg.Close()
	})
	return srv.Addr().String(), lg
}

func benchValue(size int) []byte {
	return []byte(strings.Repeat("x", size))
}

func BenchmarkListenerProduce(b *testing.B) {
	for _, size := range []int{100, 1000} {
		for _, acks := range []string{"1", "all"} {
			for _, policy := range []embedded.SyncPolicy{embedded.SyncInterval, embedded.SyncAlways} {
				b.Run(fmt.Sprintf("size=%d/acks=%s/sync=%v", size, acks, policy), func(b *testing.B) {
					addr, l := benchServer(b, policy)
					if err := l.CreateTopic(context.Background(), "bench", broker.TopicConfig{Partitions: 4}); err != nil {
						b.Fatal(err)
					}
					opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("bench"),
						kgo.ProducerLinger(time.Millisecond), kgo.ProducerBatchMaxBytes(1 << 20),
						kgo.MaxBufferedRecords(100_000)}
					if acks == "1" {
						opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
					}
					cl, err := kgo.NewClient(opts...)
					if err != nil {
						b.Fatal(err)
					}
					defer cl.Close()
					value := benchValue(size)
					var failed sync.Once
					var firstErr error
					b.SetBytes(int64(size))
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						cl.Produce(context.Background(), &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
							if err != nil {
								failed.Do(func() { firstErr = err })
							}
						})
					}
					if err := cl.Flush(context.Background()); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if firstErr != nil {
						b.Fatal(firstErr)
					}
				})
			}
		}
	}
}

func BenchmarkListenerConsume(b *testing.B) {
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			addr, l := benchServer(b, embedded.SyncInterval)
			ctx := context.Background()
			if err := l.CreateTopic(ctx, "bench", broker.TopicConfig{Partitions: 4}); err != nil {
				b.Fatal(err)
			}
			value := benchValue(size)
			batch := make([]broker.Record, 1000)
			for i := range batch {
				batch[i] = broker.Record{Value: value}
			}
			for n := 0; n < b.N; n += len(batch) {
				if _, err := l.Append(ctx, "bench", int32(n/len(batch)%4), batch); err != nil {
					b.Fatal(err)
				}
			}
			total := (b.N + len(batch) - 1) / len(batch) * len(batch)
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("bench"),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(16<<20))
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			b.SetBytes(int64(size))
			b.ResetTimer()
			got := 0
			pctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			for got < total && pctx.Err() == nil {
				fs := cl.PollFetches(pctx)
				if err := fs.Err0(); err != nil && pctx.Err() == nil {
					b.Fatal(err)
				}
				got += fs.NumRecords()
			}
			b.StopTimer()
			if got < total {
				b.Fatalf("consumed %d of %d", got, total)
			}
		})
	}
}

func BenchmarkKfakeProduce(b *testing.B) {
	for _, size := range []int{100, 1000} {
		for _, acks := range []string{"1", "all"} {
			b.Run(fmt.Sprintf("size=%d/acks=%s", size, acks), func(b *testing.B) {
				c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "bench"))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				opts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("bench"),
					kgo.ProducerLinger(time.Millisecond), kgo.ProducerBatchMaxBytes(1 << 20),
					kgo.MaxBufferedRecords(100_000)}
				if acks == "1" {
					opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
				}
				cl, err := kgo.NewClient(opts...)
				if err != nil {
					b.Fatal(err)
				}
				defer cl.Close()
				value := benchValue(size)
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					cl.Produce(context.Background(), &kgo.Record{Value: value}, nil)
				}
				if err := cl.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
