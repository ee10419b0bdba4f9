package nexmark

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"testing"
)

const sample = 50_000 // events: 1,000 persons, 3,000 auctions, 46,000 bids

func TestKindProportions(t *testing.T) {
	var n [3]int
	for i := int64(0); i < sample; i++ {
		n[KindOf(i)]++
	}
	if n[Person] != 1000 || n[Auction] != 3000 || n[Bid] != 46000 {
		t.Fatalf("person:auction:bid = %v, want 1000:3000:46000", n)
	}
	if KindOf(0) != Person || KindOf(1) != Auction || KindOf(3) != Auction || KindOf(4) != Bid || KindOf(49) != Bid || KindOf(50) != Person {
		t.Fatal("the cycle is 1 person, 3 auctions, 46 bids")
	}
}

func TestDeterministic(t *testing.T) {
	a, b := New(Config{Seed: 7}), New(Config{Seed: 7})
	other := New(Config{Seed: 8})
	var diff int
	for i := int64(0); i < 2000; i++ {
		x, _ := a.AppendJSON(nil, i, a.Timestamp(i))
		y, _ := b.AppendJSON(nil, i, b.Timestamp(i))
		if !bytes.Equal(x, y) {
			t.Fatalf("event %d differs between two generators of one seed:\n%s\n%s", i, x, y)
		}
		if z, _ := other.AppendJSON(nil, i, other.Timestamp(i)); !bytes.Equal(x, z) {
			diff++
		}
	}
	if diff < 1900 {
		t.Fatalf("only %d of 2000 events differ between seeds 7 and 8", diff)
	}
	// Any event alone, in any order, is the same event.
	c := New(Config{Seed: 7})
	for _, i := range []int64{1999, 3, 1000, 0, 1999} {
		x, _ := c.AppendJSON(nil, i, c.Timestamp(i))
		y, _ := New(Config{Seed: 7}).AppendJSON(nil, i, c.Timestamp(i))
		if !bytes.Equal(x, y) {
			t.Fatalf("event %d depends on what was generated before", i)
		}
	}
}

func TestJSONAndFields(t *testing.T) {
	g := New(Config{Seed: 1})
	var lastTS int64
	var persons, auctions int64
	for i := int64(0); i < 5000; i++ {
		ts := g.Timestamp(i)
		if ts < lastTS {
			t.Fatalf("event time goes back at %d", i)
		}
		lastTS = ts
		v, k := g.AppendJSON(nil, i, ts)
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("event %d is not JSON: %v\n%s", i, err, v)
		}
		var want []string
		switch k {
		case Person:
			want = []string{"id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"}
			id, _ := m["id"].(json.Number).Int64()
			if id != FirstPersonID+persons {
				t.Fatalf("person %d has id %d, want %d", persons, id, FirstPersonID+persons)
			}
			persons++
			if !slices.Contains(usStates, m["state"].(string)) {
				t.Fatalf("state %v", m["state"])
			}
		case Auction:
			want = []string{"id", "itemName", "description", "initialBid", "reserve", "dateTime", "expires", "seller", "category", "extra"}
			id, _ := m["id"].(json.Number).Int64()
			if id != FirstAuctionID+auctions {
				t.Fatalf("auction %d has id %d", auctions, id)
			}
			auctions++
			cat, _ := m["category"].(json.Number).Int64()
			exp, _ := m["expires"].(json.Number).Int64()
			seller, _ := m["seller"].(json.Number).Int64()
			ib, _ := m["initialBid"].(json.Number).Int64()
			res, _ := m["reserve"].(json.Number).Int64()
			if cat < FirstCategoryID || cat >= FirstCategoryID+NumCategories || exp <= ts || res <= ib ||
				seller < FirstPersonID || seller > FirstPersonID+persons+personIDLead {
				t.Fatalf("auction out of range: %s", v)
			}
		case Bid:
			want = []string{"auction", "bidder", "price", "channel", "url", "dateTime", "extra"}
		}
		for _, f := range want {
			if _, ok := m[f]; !ok {
				t.Fatalf("%s without %s: %s", k, f, v)
			}
		}
		if len(m) != len(want) {
			t.Fatalf("%s has %d fields, want %d: %s", k, len(m), len(want), v)
		}
		if dt, _ := m["dateTime"].(json.Number).Int64(); dt != ts {
			t.Fatalf("dateTime %d, want the event time %d", dt, ts)
		}
	}
	// Event time: 10,000 events per second from the base time.
	if g.Timestamp(0) != DefaultBaseTime || g.Timestamp(10_000) != DefaultBaseTime+1000 {
		t.Fatal("event n is at base + n/10,000 s by default")
	}
}

func TestBidDistributions(t *testing.T) {
	g := New(Config{Seed: 3})
	var bids, hotAuction, hotBidder, hotChannel int
	var prices []int64
	var size int
	channels := map[string]bool{}
	for i := int64(0); i < sample; i++ {
		if KindOf(i) != Bid {
			continue
		}
		b := g.Bid(i, g.Timestamp(i))
		bids++
		newest := lastBase0AuctionID(i) + FirstAuctionID
		if b.Auction == lastBase0AuctionID(i)/hotAuctionRatio*hotAuctionRatio+FirstAuctionID {
			hotAuction++
		} else if b.Auction < newest-g.cfg.InFlightAuctions || b.Auction > newest+auctionIDLead {
			t.Fatalf("bid %d on auction %d, not in flight (newest %d)", i, b.Auction, newest)
		}
		if b.Bidder == lastBase0PersonID(i)/hotBidderRatio*hotBidderRatio+1+FirstPersonID {
			hotBidder++
		}
		if slices.Contains(HotChannels, b.Channel) {
			hotChannel++
		}
		channels[b.Channel] = true
		prices = append(prices, b.Price)
		v, _ := g.AppendJSON(nil, i, b.DateTime)
		size += len(v)
	}
	near := func(name string, got int, want float64) {
		t.Helper()
		if f := float64(got) / float64(bids); math.Abs(f-want) > 0.02 {
			t.Errorf("%s: %.3f of bids, want about %.2f", name, f, want)
		}
	}
	// One bid in HotAuctionRatio (2) is on a random auction in flight,
	// which is the hot one about 1% of the time; likewise bidders (ratio 4).
	near("hot auction", hotAuction, 0.5+0.5/110)
	near("hot bidder", hotBidder, 0.75)
	near("hot channel", hotChannel, 0.5)
	if len(channels) < 4000 {
		t.Errorf("%d distinct channels; the cold half spreads over 10,000", len(channels))
	}
	sort.Slice(prices, func(i, j int) bool { return prices[i] < prices[j] })
	if prices[0] < 100 || prices[len(prices)-1] > 100_000_000 {
		t.Errorf("prices %d..%d, want within 100..100,000,000", prices[0], prices[len(prices)-1])
	}
	// log-uniform over 6 decades: the median is 10^3 * 100.
	if med := prices[len(prices)/2]; med < 70_000 || med > 140_000 {
		t.Errorf("median price %d, want about 100,000", med)
	}
	// Nexmark pads bids towards 100 bytes of fields; the JSON adds names
	// and the URL.
	if avg := size / bids; avg < 150 || avg > 260 {
		t.Errorf("average bid JSON %d bytes", avg)
	}
}

func TestAuctionAndPersonDistributions(t *testing.T) {
	g := New(Config{Seed: 5})
	var auctions, hotSeller int
	cats := map[int64]int{}
	states := map[string]int{}
	for i := int64(0); i < 4*sample; i++ {
		switch KindOf(i) {
		case Auction:
			a := g.Auction(i, g.Timestamp(i))
			auctions++
			cats[a.Category]++
			if a.Seller == lastBase0PersonID(i)/hotSellerRatio*hotSellerRatio+FirstPersonID {
				hotSeller++
			}
		case Person:
			states[g.Person(i, g.Timestamp(i)).State]++
		}
	}
	if f := float64(hotSeller) / float64(auctions); math.Abs(f-0.75) > 0.02 {
		t.Errorf("hot seller on %.3f of auctions, want about 0.75", f)
	}
	if len(cats) != NumCategories || len(states) != len(usStates) {
		t.Errorf("categories %v, states %v", cats, states)
	}
	for c, n := range cats {
		if math.Abs(float64(n)/float64(auctions)-0.2) > 0.02 {
			t.Errorf("category %d on %d of %d auctions", c, n, auctions)
		}
	}
}

func TestCards(t *testing.T) {
	c := NewCards(CardConfig{Seed: 1, Cards: 10_000})
	seen := map[int64]int{}
	var hot int
	for i := int64(0); i < 100_000; i++ {
		a := c.Attempt(i, c.Timestamp(i))
		if a.CardNumber < FirstCardNumber || a.CardNumber >= FirstCardNumber+10_000 {
			t.Fatalf("card %d out of range", a.CardNumber)
		}
		seen[a.CardNumber]++
		if a.CardNumber < FirstCardNumber+10 {
			hot++
		}
		v := c.AppendJSON(nil, i, c.Timestamp(i))
		if w := NewCards(CardConfig{Seed: 1, Cards: 10_000}).AppendJSON(nil, i, c.Timestamp(i)); !bytes.Equal(v, w) {
			t.Fatalf("attempt %d is not deterministic", i)
		}
		if i < 100 {
			var m map[string]any
			if err := json.Unmarshal(v, &m); err != nil || len(m) != 3 {
				t.Fatalf("attempt %d: %s (%v)", i, v, err)
			}
			if _, ok := m["amount"].(float64); !ok {
				t.Fatalf("amount is not a number: %s", v)
			}
		}
	}
	if len(seen) < 9900 {
		t.Errorf("%d distinct cards of 10,000", len(seen))
	}
	// One attempt in ten is on the 10 hot cards (plus their uniform share).
	if f := float64(hot) / 100_000; math.Abs(f-0.1) > 0.01 {
		t.Errorf("hot cards in %.3f of attempts, want about 0.1", f)
	}
	if NewCards(CardConfig{Cards: 1_000_000}).Config().HotCards != 1000 {
		t.Error("1M cards have 1,000 hot ones")
	}
}

// TestPastSellers: with PastSellers every auction's seller is a person
// generated at an earlier event time (or, before the first person's
// cycle is over, nobody), the hot seller still takes about 3/4 of the
// auctions, and persons and bids are those of the default generator.
func TestPastSellers(t *testing.T) {
	g, d := New(Config{Seed: 1, PastSellers: true}), New(Config{Seed: 1})
	personTS := map[int64]int64{}
	var auctions, hot int64
	for i := int64(0); i < sample; i++ {
		ts := g.Timestamp(i)
		switch KindOf(i) {
		case Person:
			p := g.Person(i, ts)
			if p != d.Person(i, ts) {
				t.Fatalf("person %d differs from the default generator's", i)
			}
			if p.ID != PersonID(i) {
				t.Fatalf("PersonID(%d) = %d, the person has %d", i, PersonID(i), p.ID)
			}
			personTS[p.ID] = ts
		case Auction:
			a := g.Auction(i, ts)
			auctions++
			if i < ProportionDenominator {
				if a.Seller != FirstPersonID-1 {
					t.Fatalf("auction %d of the first cycle has seller %d", i, a.Seller)
				}
				continue
			}
			pts, ok := personTS[a.Seller]
			if !ok || pts >= ts {
				t.Fatalf("auction %d at %d: seller %d (known %v, at %d) is not an earlier person", i, ts, a.Seller, ok, pts)
			}
			if (a.Seller-FirstPersonID)%hotSellerRatio == 0 {
				hot++
			}
		case Bid:
			if g.Bid(i, ts) != d.Bid(i, ts) {
				t.Fatalf("bid %d differs from the default generator's", i)
			}
		}
	}
	if f := float64(hot) / float64(auctions); f < 0.7 || f > 0.8 {
		t.Errorf("%.2f of auctions by a hot seller, want about 0.75", f)
	}
}
