package kafkaproto_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/broker/embedded"
	"github.com/ksqlgo/ksql/broker/kafkaproto"
)

// A transactional producer killed with SIGKILL in the middle of a
// transaction (a separate process: the test binary run again as a
// producer) leaves it open; its next incarnation takes the producer name
// over and commits a transaction of its own. Every transaction of the
// killed producer must then be in the log whole or not at all.
//
// The cluster is this package's server over an embedded log. With
// KSQL_ZOMBIE_KFAKE=1 it is kfake instead, which (as of 2026-09-18) now
// and then commits the first part of the killed producer's open
// transaction together with the new incarnation's: about one round in 25
// here (KSQL_ZOMBIE_ROUNDS sets the number of rounds). That is why the
// engine's kill -9 proof over an external cluster (the fraud test) uses
// this package's server, not kfake.

const zombieEnv = "KSQL_ZOMBIE_PRODUCER"

func TestMain(m *testing.M) {
	if addr := os.Getenv(zombieEnv); addr != "" {
		zombieProducer(addr)
		return
	}
	os.Exit(m.Run())
}

// zombieProducer commits transactions of 20 x 500 records to topic "zt"
// (alternating its two partitions, with group positions) until killed,
// printing "committed <seq>" after each.
func zombieProducer(addr string) {
	ctx := context.Background()
	l, err := kafkaproto.Dial(ctx, kafkaproto.ClientConfig{SeedBrokers: []string{addr}, TransactionalIDPrefix: "z-"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := l.InitProducer(ctx, "A"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for seq := int64(1); seq < 100_000; seq++ {
		txn := broker.Txn{Producer: "A", Seq: seq}
		for i := 0; i < 20; i++ {
			recs := make([]broker.Record, 500)
			for j := range recs {
				recs[j] = broker.Record{Value: fmt.Appendf(nil, "s%d-%d-%d", seq, i, j)}
			}
			if _, err := l.AppendTxn(ctx, txn, "zt", int32(i%2), recs); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		pos := map[broker.TopicPartition]int64{{Topic: "zt", Partition: 0}: seq}
		if err := l.CommitOffsetsTxn(ctx, txn, "g", pos); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := l.EndTxn(ctx, txn, true); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("committed %d\n", seq)
	}
}

func TestKilledTransactionalProducerIsNeverPartlyCommitted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts producer processes")
	}
	rounds := 4
	if os.Getenv("KSQL_ZOMBIE_KFAKE") != "" {
		rounds = 50
	}
	if n, err := strconv.Atoi(os.Getenv("KSQL_ZOMBIE_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	for round := 0; round < rounds; round++ {
		c := &cluster{}
		if os.Getenv("KSQL_ZOMBIE_KFAKE") != "" {
			kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(-1))
			if err != nil {
				t.Fatal(err)
			}
			c.addrs, c.stop = kc.ListenAddrs(), kc.Close
		} else {
			lg, err := embedded.Open(t.TempDir(), embedded.Options{SyncPolicy: embedded.SyncInterval})
			if err != nil {
				t.Fatal(err)
			}
			srv := kafkaproto.NewServer(lg, kafkaproto.Config{})
			if err := srv.Listen("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			go srv.Serve(context.Background())
			c.addrs, c.stop = []string{srv.Addr().String()}, func() { srv.Close(); lg.Close() }
		}
		zombieRound(t, c, round)
		c.stop()
	}
}

func zombieRound(t *testing.T, c *cluster, round int) {
	ctx := context.Background()
	admin := dial(t, c, "z-")
	if err := admin.CreateTopic(ctx, "zt", broker.TopicConfig{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), zombieEnv+"="+c.addrs[0])
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Kill it at a point of its stream of transactions (a bound on the
	// test, not a timing assertion).
	time.Sleep(time.Duration(200+(round%5)*100) * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	committed := 0
	for l := range lines {
		if strings.HasPrefix(l, "committed ") {
			committed++
		}
	}

	// The next incarnation takes over and commits.
	next := dial(t, c, "z-")
	if err := next.InitProducer(ctx, "A"); err != nil {
		t.Fatal(err)
	}
	txn := broker.Txn{Producer: "A", Seq: 1_000_000}
	for p := int32(0); p < 2; p++ {
		if _, err := next.AppendTxn(ctx, txn, "zt", p, mkRecs("new", 5)); err != nil {
			t.Fatal(err)
		}
	}
	if err := next.EndTxn(ctx, txn, true); err != nil {
		t.Fatal(err)
	}
	perTxn := map[string]int{}
	for p := int32(0); p < 2; p++ {
		recs, err := broker.ReadAll(ctx, next, "zt", p, 0, broker.ReadCommitted, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if v := string(r.Value); strings.HasPrefix(v, "s") {
				perTxn[strings.SplitN(v, "-", 2)[0]]++
			}
		}
	}
	for txn, n := range perTxn {
		if n != 10_000 {
			t.Errorf("round %d: transaction %s of the killed producer has %d of its 10000 records committed", round, txn, n)
		}
	}
	if len(perTxn) < committed {
		t.Errorf("round %d: %d transactions acknowledged as committed, %d in the log", round, committed, len(perTxn))
	}
	next.Close()
	admin.Close()
}
