package repository

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/lib/pq"
)

// A database link can go silent: a firewall drops the packets, a route
// dies, a failover leaves the old address unanswered. lib/pq then blocks
// reading the socket, whatever the statement's context says: when the
// context ends it only sends a CancelRequest, on a new connection that the
// same silence swallows (docs/SECURITY.md, "Availability"). Measured behind
// a proxy that stopped forwarding, 19 of 25 requests hung for 95 s, /login
// and /readyz included.
//
// So the pool's connections are made here, and two things guard them:
//
//   - a statement whose context ends cuts its connection. lib/pq dials the
//     CancelRequest through the connection's own dialer (a link), and the
//     link takes that dial as the signal to put the connection's socket
//     deadline in the past: the blocked read returns at once, lib/pq marks
//     the connection bad and database/sql discards it. The cancel itself
//     still goes out, within cancelTimeout (lib/pq makes a prepared
//     statement's caller wait for it). The two exchanges lib/pq does not
//     watch, opening the connection and BEGIN, are cut by their context
//     here (Connect, conn.BeginTx). A cut connection says it is bad.
//   - for work with no deadline (exports, the CLI, background folding), TCP
//     keepalive and TCP_USER_TIMEOUT make the kernel declare a silent link
//     dead: about keepAliveIdle + userTimeout when idle, userTimeout when
//     data waits for an acknowledgement.
const (
	connectTimeout    = 10 * time.Second // dial, TLS, authentication, startup
	cancelTimeout     = time.Second      // the CancelRequest's own connection
	keepAliveIdle     = 15 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
	userTimeout       = 30 * time.Second // unacknowledged data, or unanswered keepalives
)

// connector opens the pool's connections: lib/pq's, each dialled through a
// link of its own.
type connector struct {
	cfg    pq.Config
	dialer *net.Dialer
}

func newConnector(dsn string) (*connector, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		return nil, err
	}
	return &connector{cfg: cfg, dialer: newDialer()}, nil
}

// newDialer dials TCP with keepalive and a user timeout (linux; see
// setUserTimeout).
func newDialer() *net.Dialer {
	return &net.Dialer{
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
		},
		Control: setUserTimeout,
	}
}

// Driver is lib/pq's.
func (c *connector) Driver() driver.Driver { return &pq.Driver{} }

// Connect opens one connection within ctx and connectTimeout: the startup
// exchange does not watch the context, so a context that ends cuts the
// link, and the half-open connection is closed.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	l := &link{dialer: c.dialer}
	pc, err := pq.NewConnectorConfig(c.cfg)
	if err != nil {
		return nil, err
	}
	pc.Dialer(l)
	stop := context.AfterFunc(ctx, l.cut)
	dc, err := pc.Connect(ctx)
	cut := !stop()
	l.established()
	switch {
	case cut && err != nil: // (dc is then a typed nil, not to be closed)
		return nil, fmt.Errorf("connect: %w: %w", ctx.Err(), err)
	case cut:
		_ = dc.Close()
		return nil, fmt.Errorf("connect: %w", ctx.Err())
	case err != nil:
		return nil, err
	}
	pqc, ok := dc.(pqConn)
	if !ok {
		_ = dc.Close()
		return nil, fmt.Errorf("connect: lib/pq's connection (%T) lacks a method database/sql uses", dc)
	}
	return &conn{pqConn: pqc, link: l}, nil
}

// pqConn is what lib/pq's connection implements and database/sql uses:
// conn embeds it, so that every one of these reaches lib/pq unchanged.
type pqConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// conn is a lib/pq connection whose BEGIN is bounded by its context too,
// and which database/sql discards once its link is cut. (lib/pq's helpers
// that take a *pq.conn, such as pq.SetNoticeHandler, do not apply to it.)
type conn struct {
	pqConn
	link *link
}

// BeginTx: lib/pq watches a transaction's context only once BEGIN has
// answered.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	stop := context.AfterFunc(ctx, c.link.cut)
	defer stop()
	return c.pqConn.BeginTx(ctx, opts)
}

// IsValid is false once the link is cut: the pool closes the connection
// instead of keeping it.
func (c *conn) IsValid() bool { return !c.link.wasCut() && c.pqConn.IsValid() }

// ResetSession refuses a cut connection before its reuse.
func (c *conn) ResetSession(ctx context.Context) error {
	if c.link.wasCut() {
		return driver.ErrBadConn
	}
	return c.pqConn.ResetSession(ctx)
}

// link is the dialer of one connection. lib/pq dials through it to open
// the connection, and again each time a statement's context ends while it
// runs, to send the CancelRequest.
type link struct {
	dialer *net.Dialer

	mu     sync.Mutex
	socket net.Conn // the connection's socket, once dialled
	isCut  bool     // its deadline is in the past, for good
	isUp   bool     // the connection is open: a dial now is a CancelRequest
}

// cut makes every read and write on the connection fail at once, now and
// later: the connection is in the middle of an exchange nobody waits for.
func (l *link) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.isCut = true
	if l.socket != nil {
		_ = l.socket.SetDeadline(time.Unix(1, 0))
	}
}

func (l *link) wasCut() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.isCut
}

func (l *link) established() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.isUp = true
}

// DialContext opens the connection's socket, or, once the connection is
// open, cuts it and opens the CancelRequest's.
func (l *link) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	l.mu.Lock()
	up := l.isUp
	l.mu.Unlock()
	if up {
		return l.dialCancel(ctx, network, address)
	}
	socket, err := l.dialer.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.socket = socket
	if l.isCut {
		_ = socket.SetDeadline(time.Unix(1, 0))
	}
	return socket, nil
}

// dialCancel: a statement's context ended while it ran on this connection.
// Its answer would come too late for anyone: cut the connection, then let
// lib/pq ask the server to stop the statement, within cancelTimeout (a
// connect_timeout in the database URL replaces it: lib/pq sets its own).
func (l *link) dialCancel(ctx context.Context, network, address string) (net.Conn, error) {
	l.cut()
	ctx, cancel := context.WithTimeout(ctx, cancelTimeout)
	defer cancel()
	socket, err := l.dialer.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	_ = socket.SetDeadline(time.Now().Add(cancelTimeout))
	return socket, nil
}

// Dial and DialTimeout complete pq.Dialer; lib/pq calls DialContext.
func (l *link) Dial(network, address string) (net.Conn, error) {
	return l.DialContext(context.Background(), network, address)
}

func (l *link) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.DialContext(ctx, network, address)
}
