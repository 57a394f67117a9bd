package dbtest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy between a store and the test server that can go
// silent: Blackhole stops forwarding in both directions without closing
// anything, as a network that drops packets does (a firewall, a dead
// route, a cable pulled somewhere between). What was sent meanwhile is held
// and delivered once Restore is called, as TCP retransmission would.
type Proxy struct {
	// URL is the database URL dsn had, pointing at the proxy.
	URL string

	ln       net.Listener
	upstream string

	mu     sync.Mutex
	open   chan struct{} // closed while traffic flows
	conns  map[net.Conn]bool
	closed bool
}

// NewProxy starts a proxy on a free loopback port in front of the server
// of dsn; it stops when the test ends.
func NewProxy(t testing.TB, dsn string) *Proxy {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("proxy: bad database URL: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{ln: ln, upstream: u.Host, open: make(chan struct{}), conns: map[net.Conn]bool{}}
	close(p.open)
	u.Host = ln.Addr().String()
	p.URL = u.String()
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Blackhole makes the link silent: nothing goes through any more, new
// connections are accepted but get no answer, nothing is closed.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default: // already silent
	}
}

// Restore lets traffic flow again, delivering what was held.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

// waitOpen returns once traffic may flow.
func (p *Proxy) waitOpen() {
	p.mu.Lock()
	open := p.open
	p.mu.Unlock()
	<-open
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(client, server) {
			return
		}
		go p.pipe(client, server)
		go p.pipe(server, client)
	}
}

// track remembers the connections so that close can end them.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

// pipe copies from → to, holding each chunk while the link is silent. When
// either side ends, both are closed.
func (p *Proxy) pipe(from, to net.Conn) {
	defer from.Close()
	defer to.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			p.waitOpen()
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			p.waitOpen() // a silent link does not carry the close either
			return
		}
	}
}

// close stops listening and ends every connection, letting held data go.
func (p *Proxy) close() {
	_ = p.ln.Close()
	p.Restore()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
}
