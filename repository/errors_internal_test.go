package repository

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"takaffoul/domain"
)

// Every way the database can fail to answer is domain.ErrUnavailable (a
// 503), keeping the cause for the log; a wrong statement is not.
func TestUnreachableErrorsAreUnavailable(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for name, c := range map[string]struct {
		err         error
		unavailable bool
	}{
		"read timeout of a cut connection":    {fmt.Errorf("get user: %w", timeout), true},
		"connection refused":                  {&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		"deadline while waiting for the pool": {context.DeadlineExceeded, true},
		"bad connection":                      {driver.ErrBadConn, true},
		"connection done":                     {sql.ErrConnDone, true},
		"server shutting down":                {&pq.Error{Code: pqerror.AdminShutdown}, true},
		"connection failure":                  {&pq.Error{Code: pqerror.ConnectionFailure}, true},
		"statement cancelled":                 {&pq.Error{Code: pqerror.QueryCanceled}, true},
		"client went away":                    {context.Canceled, false},
		"syntax error":                        {&pq.Error{Code: pqerror.SyntaxError}, false},
		"no rows":                             {sql.ErrNoRows, false},
	} {
		got := mapError(c.err)
		if errors.Is(got, domain.ErrUnavailable) != c.unavailable {
			t.Errorf("%s: unavailable should be %v, got %v", name, c.unavailable, got)
		}
		if c.unavailable && !errors.Is(got, c.err) {
			t.Errorf("%s: the cause is lost: %v", name, got)
		}
	}
	once := mapError(timeout)
	if twice := mapError(once); twice.Error() != once.Error() {
		t.Errorf("mapped twice: %v", twice)
	}
}
