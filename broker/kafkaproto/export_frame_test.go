package kafkaproto

import "net"

// ServeFrame answers one request frame (without its size prefix) as a
// connection of s does, and returns the response frame (nil when none is
// due) or the error that would close the connection.
func (s *Server) ServeFrame(frame []byte) ([]byte, error) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	cn := newConn(s, a)
	return cn.handle(frame)
}

// ServedAPIs returns the served API keys with their version ranges.
func ServedAPIs() map[int16][2]int16 {
	out := map[int16][2]int16{}
	for k, a := range apis {
		out[k] = [2]int16{a.min, a.max}
	}
	return out
}
