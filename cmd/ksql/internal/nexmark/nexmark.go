// Package nexmark generates the Nexmark benchmark's events (persons,
// auctions and bids) with the distributions of the Nexmark generator
// (nexmark/nexmark's GeneratorConfig, PersonGenerator, AuctionGenerator,
// BidGenerator, PriceGenerator and StringsGenerator), and card
// authorizations for the fraud query, as JSON values in the column order
// of the CREATE STREAM statements in docs/benchmarks.md.
//
// Everything is a pure function of the configuration and the event
// number: like Nexmark, which seeds a java.util.Random with each event's
// id, every event draws from its own generator seeded with (Seed, event
// number), so any event can be made alone, in any order, on any machine,
// and the same seed gives the same bytes. The generators are not safe for
// concurrent use (one per goroutine).
package nexmark

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// Kind is the type of a Nexmark event.
type Kind uint8

const (
	Person Kind = iota
	Auction
	Bid
)

func (k Kind) String() string {
	switch k {
	case Person:
		return "person"
	case Auction:
		return "auction"
	case Bid:
		return "bid"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// The fixed constants of the Nexmark generator.
const (
	PersonProportion  = 1
	AuctionProportion = 3
	BidProportion     = 46
	// ProportionDenominator is the length of one person:auction:bid cycle.
	ProportionDenominator = PersonProportion + AuctionProportion + BidProportion

	FirstPersonID   = 1000
	FirstAuctionID  = 1000
	FirstCategoryID = 10
	NumCategories   = 5

	// personIDLead and auctionIDLead let a bid or an auction name a
	// person or an auction a little ahead of the newest one.
	personIDLead  = 10
	auctionIDLead = 10
	// hotSellerRatio, hotAuctionRatio, hotBidderRatio: the hot seller,
	// auction and bidder is the newest id rounded down to a multiple of
	// these.
	hotSellerRatio  = 100
	hotAuctionRatio = 100
	hotBidderRatio  = 100

	hotChannelsRatio = 2
	channelsNumber   = 10_000
	minStringLength  = 3
)

var (
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	// HotChannels are the channels of half the bids.
	HotChannels = []string{"Google", "Facebook", "Baidu", "Apple"}
)

// DefaultBaseTime is the event time of event 0 unless configured: a fixed
// instant (2026-01-01T00:00:00Z), so that runs are reproducible (Nexmark
// itself starts at the wall clock).
const DefaultBaseTime int64 = 1_767_225_600_000

// Config is the generator's configuration; the zero value of a field
// means Nexmark's default (DefaultConfig).
type Config struct {
	// Seed selects the sequence; the same seed gives the same events.
	Seed int64
	// BaseTime is the event time (ms since the epoch) of event 0.
	BaseTime int64
	// EventRate is events per second of event time (Nexmark's
	// firstEventRate, 10,000): event n has time BaseTime + n/EventRate s.
	EventRate float64
	// ActivePeople is how many recent persons bids and auctions pick from
	// (1,000); InFlightAuctions how many recent auctions bids pick from (100).
	ActivePeople     int64
	InFlightAuctions int64
	// HotAuctionRatio (2), HotSellersRatio (4), HotBiddersRatio (4): one
	// bid in HotAuctionRatio is on a random recent auction, the others on
	// the hot one; likewise for sellers and bidders.
	HotAuctionRatio int
	HotSellersRatio int
	HotBiddersRatio int
	// AvgPersonBytes (200), AvgAuctionBytes (500), AvgBidBytes (100):
	// Nexmark pads each event's extra field towards these sizes.
	AvgPersonBytes  int
	AvgAuctionBytes int
	AvgBidBytes     int
	// PastSellers makes every auction's seller a person of an earlier
	// event time than the auction. Nexmark draws the seller among the
	// persons up to the auction's own 50-event cycle, whose person has the
	// same millisecond as the cycle's auctions at 10,000 events/s, and lets
	// one non-hot seller in about a hundred be up to 10 persons ahead
	// ("newPerson and newAuction events appear to have been swapped in
	// time"). A stream-table join (the person table looked up when the
	// auction is processed) then has an answer that depends on how the
	// two inputs interleave. With PastSellers the same draws are made
	// over the persons of the earlier cycles only (the newest of them in
	// place of the newest person), with no lead: every seller exists, 5 ms
	// or more before its auction. Only auctions change.
	PastSellers bool
}

// DefaultConfig is Nexmark's default configuration with seed 1.
func DefaultConfig() Config {
	return Config{
		Seed: 1, BaseTime: DefaultBaseTime, EventRate: 10_000,
		ActivePeople: 1000, InFlightAuctions: 100,
		HotAuctionRatio: 2, HotSellersRatio: 4, HotBiddersRatio: 4,
		AvgPersonBytes: 200, AvgAuctionBytes: 500, AvgBidBytes: 100,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.BaseTime == 0 {
		c.BaseTime = d.BaseTime
	}
	if c.EventRate <= 0 {
		c.EventRate = d.EventRate
	}
	if c.ActivePeople <= 0 {
		c.ActivePeople = d.ActivePeople
	}
	if c.InFlightAuctions <= 0 {
		c.InFlightAuctions = d.InFlightAuctions
	}
	if c.HotAuctionRatio <= 0 {
		c.HotAuctionRatio = d.HotAuctionRatio
	}
	if c.HotSellersRatio <= 0 {
		c.HotSellersRatio = d.HotSellersRatio
	}
	if c.HotBiddersRatio <= 0 {
		c.HotBiddersRatio = d.HotBiddersRatio
	}
	if c.AvgPersonBytes <= 0 {
		c.AvgPersonBytes = d.AvgPersonBytes
	}
	if c.AvgAuctionBytes <= 0 {
		c.AvgAuctionBytes = d.AvgAuctionBytes
	}
	if c.AvgBidBytes <= 0 {
		c.AvgBidBytes = d.AvgBidBytes
	}
	return c
}

// KindOf is the kind of event number n: 1 person, then 3 auctions, then
// 46 bids in every 50 events.
func KindOf(n int64) Kind {
	switch rem := n % ProportionDenominator; {
	case rem < PersonProportion:
		return Person
	case rem < PersonProportion+AuctionProportion:
		return Auction
	}
	return Bid
}

// PersonEvent, AuctionEvent and BidEvent are Nexmark's three events.
type PersonEvent struct {
	ID                                   int64
	Name, Email, CreditCard, City, State string
	DateTime                             int64
	Extra                                string
}

type AuctionEvent struct {
	ID                    int64
	ItemName, Description string
	InitialBid, Reserve   int64
	DateTime, Expires     int64
	Seller, Category      int64
	Extra                 string
}

type BidEvent struct {
	Auction, Bidder, Price int64
	Channel, URL           string
	DateTime               int64
	Extra                  string
}

// Generator makes Nexmark events.
type Generator struct {
	cfg     Config
	pcg     *rand.PCG
	rng     *rand.Rand
	hotURLs [4]string
	// channelURLs are the URLs of the 10,000 other channels, made on
	// first use (Nexmark's CHANNEL_URL_CACHE).
	channelURLs []string
}

// New returns a generator of cfg (zero fields take Nexmark's defaults).
func New(cfg Config) *Generator {
	g := &Generator{cfg: cfg.withDefaults(), pcg: rand.NewPCG(0, 0)}
	g.rng = rand.New(g.pcg)
	g.pcg.Seed(uint64(g.cfg.Seed), 0xfeedfacecafebeef)
	for i := range g.hotURLs {
		g.hotURLs[i] = baseURL(g.rng)
	}
	return g
}

// Config is the generator's configuration with its defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

// Timestamp is the event time of event n (ms).
func (g *Generator) Timestamp(n int64) int64 {
	return g.cfg.BaseTime + int64(float64(n)*1000/g.cfg.EventRate)
}

// seed points the generator's random source at event n.
func (g *Generator) seed(n int64) { g.pcg.Seed(uint64(g.cfg.Seed), uint64(n)) }

// lastBase0PersonID is the id (from 0) of the newest person at event n.
func lastBase0PersonID(n int64) int64 {
	epoch, offset := n/ProportionDenominator, n%ProportionDenominator
	if offset >= PersonProportion {
		offset = PersonProportion - 1
	}
	return epoch*PersonProportion + offset
}

// lastBase0AuctionID is the id (from 0) of the newest auction at event n.
func lastBase0AuctionID(n int64) int64 {
	epoch, offset := n/ProportionDenominator, n%ProportionDenominator
	switch {
	case offset < PersonProportion:
		epoch--
		offset = AuctionProportion - 1
	case offset >= PersonProportion+AuctionProportion:
		offset = AuctionProportion - 1
	default:
		offset -= PersonProportion
	}
	return epoch*AuctionProportion + offset
}

// nextBase0PersonID picks one of the active persons (or one a little
// ahead of the newest).
func (g *Generator) nextBase0PersonID(n int64) int64 {
	numPeople := lastBase0PersonID(n) + 1
	active := min(numPeople, g.cfg.ActivePeople)
	return numPeople - active + g.rng.Int64N(active+personIDLead)
}

// nextBase0AuctionID picks one of the auctions in flight (or one a little
// ahead of the newest).
func (g *Generator) nextBase0AuctionID(n int64) int64 {
	maxAuction := lastBase0AuctionID(n)
	minAuction := max(maxAuction-g.cfg.InFlightAuctions, 0)
	return minAuction + g.rng.Int64N(maxAuction-minAuction+1+auctionIDLead)
}

// nextPrice is Nexmark's price: 10^(6u) * 100, u uniform in [0,1): from
// 100 to 100,000,000, log-uniform.
func nextPrice(r *rand.Rand) int64 {
	return int64(math.Round(math.Pow(10, r.Float64()*6) * 100))
}

// nextString is 3..maxLength-1 characters a-z, with about one in 13 the
// special character, trimmed of leading and trailing spaces.
func nextString(r *rand.Rand, maxLength int, special byte) string {
	n := minStringLength + r.IntN(maxLength-minStringLength)
	b := make([]byte, n)
	for i := range b {
		if r.IntN(13) == 0 {
			b[i] = special
		} else {
			b[i] = byte('a' + r.IntN(26))
		}
	}
	i, j := 0, len(b)
	for i < j && b[i] == ' ' {
		i++
	}
	for j > i && b[j-1] == ' ' {
		j--
	}
	return string(b[i:j])
}

func nextExactString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// nextExtra pads an event of currentSize bytes towards desiredAverage,
// give or take 20%.
func nextExtra(r *rand.Rand, currentSize, desiredAverage int) string {
	if currentSize > desiredAverage {
		return ""
	}
	desiredAverage -= currentSize
	delta := int(math.Round(float64(desiredAverage) * 0.2))
	size := desiredAverage - delta
	if delta > 0 {
		size += r.IntN(2 * delta)
	}
	return nextExactString(r, size)
}

func baseURL(r *rand.Rand) string {
	return "https://www.nexmark.com/" + nextString(r, 5, '_') + "/" + nextString(r, 5, '_') + "/" + nextString(r, 5, '_') + "/item.htm?query=1"
}

// channelURL is the URL of channel c, the same for every bid on it.
func (g *Generator) channelURL(c int) string {
	if g.channelURLs == nil {
		g.channelURLs = make([]string, channelsNumber)
		r := rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0x5eed))
		for i := range g.channelURLs {
			u := baseURL(r)
			if r.IntN(10) > 0 {
				u += "&channel_id=" + strconv.FormatInt(int64(math.Abs(float64(reverse32(int32(i))))), 10)
			}
			g.channelURLs[i] = u
		}
	}
	return g.channelURLs[c]
}

func reverse32(v int32) int32 {
	u := uint32(v)
	var out uint32
	for i := 0; i < 32; i++ {
		out = out<<1 | u&1
		u >>= 1
	}
	return int32(out)
}

// PersonID is the id of the person of event n (the newest person at
// event n, when n is not a person).
func PersonID(n int64) int64 { return lastBase0PersonID(n) + FirstPersonID }

// Person is event n as a person (whatever KindOf(n) says), at event time ts.
func (g *Generator) Person(n, ts int64) PersonEvent {
	g.seed(n)
	r := g.rng
	p := PersonEvent{ID: lastBase0PersonID(n) + FirstPersonID, DateTime: ts}
	p.Name = firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
	p.Email = nextString(r, 7, ' ') + "@" + nextString(r, 5, ' ') + ".com"
	var cc []byte
	for i := 0; i < 4; i++ {
		if i > 0 {
			cc = append(cc, ' ')
		}
		d := r.IntN(10000)
		cc = append(cc, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
	}
	p.CreditCard = string(cc)
	p.City = usCities[r.IntN(len(usCities))]
	p.State = usStates[r.IntN(len(usStates))]
	size := 8 + len(p.Name) + len(p.Email) + len(p.CreditCard) + len(p.City) + len(p.State)
	p.Extra = nextExtra(r, size, g.cfg.AvgPersonBytes)
	return p
}

// Auction is event n as an auction, at event time ts.
func (g *Generator) Auction(n, ts int64) AuctionEvent {
	g.seed(n)
	r := g.rng
	a := AuctionEvent{ID: lastBase0AuctionID(n) + FirstAuctionID, DateTime: ts}
	switch {
	case g.cfg.PastSellers:
		// The persons of the cycles before this one: 0..n/50-1.
		numPeople := n / ProportionDenominator * PersonProportion
		if r.IntN(g.cfg.HotSellersRatio) > 0 {
			a.Seller = max(numPeople-1, 0) / hotSellerRatio * hotSellerRatio
		} else {
			active := min(numPeople, g.cfg.ActivePeople)
			a.Seller = numPeople - active + r.Int64N(max(active, 1))
		}
		if numPeople == 0 {
			a.Seller = -1 // nobody yet: a seller no person has
		}
	case r.IntN(g.cfg.HotSellersRatio) > 0:
		a.Seller = lastBase0PersonID(n) / hotSellerRatio * hotSellerRatio
	default:
		a.Seller = g.nextBase0PersonID(n)
	}
	a.Seller += FirstPersonID
	a.Category = FirstCategoryID + int64(r.IntN(NumCategories))
	a.InitialBid = nextPrice(r)
	// The auction lasts, on average, until InFlightAuctions more auctions
	// have been made.
	eventsForAuctions := g.cfg.InFlightAuctions * ProportionDenominator / AuctionProportion
	horizon := g.Timestamp(n+eventsForAuctions) - g.Timestamp(n)
	a.Expires = ts + 1 + r.Int64N(max(horizon*2, 1))
	a.ItemName = nextString(r, 20, ' ')
	a.Description = nextString(r, 100, ' ')
	a.Reserve = a.InitialBid + nextPrice(r)
	size := 8 + len(a.ItemName) + len(a.Description) + 8 + 8 + 8 + 8 + 8
	a.Extra = nextExtra(r, size, g.cfg.AvgAuctionBytes)
	return a
}

// Bid is event n as a bid, at event time ts.
func (g *Generator) Bid(n, ts int64) BidEvent {
	g.seed(n)
	r := g.rng
	b := BidEvent{DateTime: ts}
	if r.IntN(g.cfg.HotAuctionRatio) > 0 {
		b.Auction = lastBase0AuctionID(n) / hotAuctionRatio * hotAuctionRatio
	} else {
		b.Auction = g.nextBase0AuctionID(n)
	}
	b.Auction += FirstAuctionID
	if r.IntN(g.cfg.HotBiddersRatio) > 0 {
		b.Bidder = lastBase0PersonID(n)/hotBidderRatio*hotBidderRatio + 1
	} else {
		b.Bidder = g.nextBase0PersonID(n)
	}
	b.Bidder += FirstPersonID
	b.Price = nextPrice(r)
	if r.IntN(hotChannelsRatio) > 0 {
		i := r.IntN(len(HotChannels))
		b.Channel, b.URL = HotChannels[i], g.hotURLs[i]
	} else {
		c := r.IntN(channelsNumber)
		b.Channel, b.URL = "channel-"+strconv.Itoa(c), g.channelURL(c)
	}
	b.Extra = nextExtra(r, 8+8+8+8, g.cfg.AvgBidBytes)
	return b
}

// AppendJSON appends event n as JSON (its kind by KindOf), at event time
// ts, and returns the extended buffer and the kind.
func (g *Generator) AppendJSON(dst []byte, n, ts int64) ([]byte, Kind) {
	k := KindOf(n)
	switch k {
	case Person:
		p := g.Person(n, ts)
		dst = appendInt(dst, `{"id":`, p.ID)
		dst = appendStr(dst, `,"name":`, p.Name)
		dst = appendStr(dst, `,"emailAddress":`, p.Email)
		dst = appendStr(dst, `,"creditCard":`, p.CreditCard)
		dst = appendStr(dst, `,"city":`, p.City)
		dst = appendStr(dst, `,"state":`, p.State)
		dst = appendInt(dst, `,"dateTime":`, p.DateTime)
		dst = appendStr(dst, `,"extra":`, p.Extra)
	case Auction:
		a := g.Auction(n, ts)
		dst = appendInt(dst, `{"id":`, a.ID)
		dst = appendStr(dst, `,"itemName":`, a.ItemName)
		dst = appendStr(dst, `,"description":`, a.Description)
		dst = appendInt(dst, `,"initialBid":`, a.InitialBid)
		dst = appendInt(dst, `,"reserve":`, a.Reserve)
		dst = appendInt(dst, `,"dateTime":`, a.DateTime)
		dst = appendInt(dst, `,"expires":`, a.Expires)
		dst = appendInt(dst, `,"seller":`, a.Seller)
		dst = appendInt(dst, `,"category":`, a.Category)
		dst = appendStr(dst, `,"extra":`, a.Extra)
	default:
		b := g.Bid(n, ts)
		dst = appendInt(dst, `{"auction":`, b.Auction)
		dst = appendInt(dst, `,"bidder":`, b.Bidder)
		dst = appendInt(dst, `,"price":`, b.Price)
		dst = appendStr(dst, `,"channel":`, b.Channel)
		dst = appendStr(dst, `,"url":`, b.URL)
		dst = appendInt(dst, `,"dateTime":`, b.DateTime)
		dst = appendStr(dst, `,"extra":`, b.Extra)
	}
	return append(dst, '}'), k
}

func appendInt(dst []byte, prefix string, v int64) []byte {
	return strconv.AppendInt(append(dst, prefix...), v, 10)
}

// appendStr appends prefix and s as a JSON string (the generator's
// strings need no escaping, but any string is escaped correctly).
func appendStr(dst []byte, prefix, s string) []byte {
	dst = append(dst, prefix...)
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
