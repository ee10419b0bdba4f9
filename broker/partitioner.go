package broker

// Murmur2 is the 32-bit murmur2 hash Kafka's default partitioner uses
// (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c).
func Murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	length := len(data)
	h := seed ^ uint32(length)
	n := length / 4
	for i := 0; i < n; i++ {
		j := i * 4
		k := uint32(data[j]) | uint32(data[j+1])<<8 | uint32(data[j+2])<<16 | uint32(data[j+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	rem := data[n*4:]
	switch len(rem) {
	case 3:
		h ^= uint32(rem[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(rem[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(rem[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// PartitionForKey is Kafka's default partitioner for a keyed record:
// toPositive(murmur2(key)) % partitions. A topic has at least one
// partition; fewer gives partition 0.
func PartitionForKey(key []byte, partitions int32) int32 {
	if partitions <= 1 {
		return 0
	}
	return (Murmur2(key) & 0x7fffffff) % partitions
}

// Partitioner assigns partitions to records as Kafka's default producer
// partitioner does: keyed records by PartitionForKey; keyless records
// spread round-robin across partitions (Kafka's sticky partitioner sends a
// batch at a time to one partition; spreading per record gives the same
// long-run balance). A Partitioner is not safe for concurrent use.
type Partitioner struct {
	next int32
}

// Partition returns the partition for a record with the given key (nil
// for keyless).
func (p *Partitioner) Partition(key []byte, partitions int32) int32 {
	if partitions <= 1 {
		return 0
	}
	if key == nil {
		n := p.next % partitions
		p.next = (p.next + 1) % partitions
		return n
	}
	return PartitionForKey(key, partitions)
}
