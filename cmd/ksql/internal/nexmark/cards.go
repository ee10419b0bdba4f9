package nexmark

import (
	"math/rand/v2"
	"strconv"
)

// Card authorizations for the fraud query of the original KSQL demo:
//
//	CREATE STREAM authorization_attempts (card_number BIGINT, amount DOUBLE, merchant STRING)
//	  WITH (kafka_topic='authorization_attempts', value_format='JSON');

// FirstCardNumber is the card number of card 0 (a 16-digit Visa-like
// number); card i is FirstCardNumber + i.
const FirstCardNumber int64 = 4000_0000_0000_0000

// CardConfig configures the authorizations; zero fields take the
// defaults of DefaultCardConfig.
type CardConfig struct {
	Seed int64
	// Cards is how many distinct cards there are (10,000).
	Cards int64
	// HotCards is how many of them are used again and again (Cards/1000,
	// at least 1); one attempt in HotEvery (10) is on a hot card, the
	// others on any card, uniformly.
	HotCards int64
	HotEvery int64
	// Merchants is how many distinct merchants there are (1,000).
	Merchants int
	// BaseTime and EventRate place attempt n at BaseTime + n/EventRate s.
	BaseTime  int64
	EventRate float64
}

// DefaultCardConfig is 10,000 cards with seed 1.
func DefaultCardConfig() CardConfig {
	return CardConfig{Seed: 1, Cards: 10_000, HotEvery: 10, Merchants: 1000, BaseTime: DefaultBaseTime, EventRate: 10_000}
}

// AuthorizationEvent is one card authorization attempt.
type AuthorizationEvent struct {
	CardNumber int64
	// AmountCents is the amount in cents (the JSON amount is a DOUBLE
	// with two decimals).
	AmountCents int64
	Merchant    string
	DateTime    int64
}

// Cards makes authorization attempts.
type Cards struct {
	cfg CardConfig
	pcg *rand.PCG
	rng *rand.Rand
}

// NewCards returns a generator of cfg.
func NewCards(cfg CardConfig) *Cards {
	d := DefaultCardConfig()
	if cfg.Cards <= 0 {
		cfg.Cards = d.Cards
	}
	if cfg.HotCards <= 0 {
		cfg.HotCards = max(cfg.Cards/1000, 1)
	}
	cfg.HotCards = min(cfg.HotCards, cfg.Cards)
	if cfg.HotEvery <= 0 {
		cfg.HotEvery = d.HotEvery
	}
	if cfg.Merchants <= 0 {
		cfg.Merchants = d.Merchants
	}
	if cfg.BaseTime == 0 {
		cfg.BaseTime = d.BaseTime
	}
	if cfg.EventRate <= 0 {
		cfg.EventRate = d.EventRate
	}
	c := &Cards{cfg: cfg, pcg: rand.NewPCG(0, 0)}
	c.rng = rand.New(c.pcg)
	return c
}

// Config is the configuration with its defaults filled in.
func (c *Cards) Config() CardConfig { return c.cfg }

// Timestamp is the event time of attempt n (ms).
func (c *Cards) Timestamp(n int64) int64 {
	return c.cfg.BaseTime + int64(float64(n)*1000/c.cfg.EventRate)
}

// Attempt is attempt number n at event time ts.
func (c *Cards) Attempt(n, ts int64) AuthorizationEvent {
	c.pcg.Seed(uint64(c.cfg.Seed), uint64(n)^0xca4d5)
	r := c.rng
	var card int64
	if n%c.cfg.HotEvery == 0 {
		card = r.Int64N(c.cfg.HotCards)
	} else {
		card = r.Int64N(c.cfg.Cards)
	}
	return AuthorizationEvent{
		CardNumber:  FirstCardNumber + card,
		AmountCents: 100 + r.Int64N(50_000),
		Merchant:    "merchant-" + strconv.Itoa(r.IntN(c.cfg.Merchants)),
		DateTime:    ts,
	}
}

// AppendJSON appends attempt n as JSON at event time ts.
func (c *Cards) AppendJSON(dst []byte, n, ts int64) []byte {
	a := c.Attempt(n, ts)
	dst = appendInt(dst, `{"card_number":`, a.CardNumber)
	dst = appendInt(dst, `,"amount":`, a.AmountCents/100)
	dst = append(dst, '.', byte('0'+a.AmountCents/10%10), byte('0'+a.AmountCents%10))
	dst = appendStr(dst, `,"merchant":`, a.Merchant)
	return append(dst, '}')
}
