package domain

import (
	"testing"
	"time"
)

func TestLoginWait(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	cases := []struct {
		name string
		h    LoginHistory
		want time.Duration
	}{
		{"nothing known", LoginHistory{}, 0},
		{"four failures of the pair", LoginHistory{PairFailures: 4, PairLimitAt: time.Time{}, AddressFailed: true, AccountFailures: 4}, 0},
		{"five failures of the pair, the fifth latest 5 min ago",
			LoginHistory{PairFailures: 5, PairLimitAt: ago(5 * time.Minute), AddressFailed: true, AccountFailures: 5, AccountLastFailure: ago(time.Minute)},
			10 * time.Minute},
		{"the pair's failures left the window", LoginHistory{PairFailures: 5, PairLimitAt: ago(16 * time.Minute)}, 0},
		{"the owner's usual address: only its pair budget", LoginHistory{KnownAddress: true, AddressFailures: 50, AddressLimitAt: ago(time.Minute),
			AccountFailures: 40, AccountLastFailure: ago(time.Second), FailingAddresses: 30}, 0},
		{"the owner's usual address past its own budget", LoginHistory{KnownAddress: true, PairFailures: 5, PairLimitAt: ago(14 * time.Minute)}, time.Minute},
		{"an address guessing many accounts", LoginHistory{AddressFailures: 20, AddressLimitAt: ago(3 * time.Minute)}, 12 * time.Minute},
		{"a fresh address while the account is attacked", LoginHistory{AccountFailures: 30, AccountLastFailure: ago(time.Second), FailingAddresses: 3}, 0},
		{"an address that failed, account under attack", LoginHistory{AddressFailed: true, PairFailures: 1,
			AccountFailures: 8, AccountLastFailure: ago(3 * time.Second)}, 5 * time.Second},
		{"the delay has passed", LoginHistory{AddressFailed: true, AccountFailures: 8, AccountLastFailure: ago(9 * time.Second)}, 0},
		{"too many addresses failed lately: fresh ones wait too", LoginHistory{AccountFailures: 12, AccountLastFailure: ago(100 * time.Second),
			FailingAddresses: 10}, 28 * time.Second},
		{"a long attack: the delay stops growing", LoginHistory{AddressFailed: true, AccountFailures: 500, AccountLastFailure: ago(time.Minute)},
			14 * time.Minute},
	}
	for _, c := range cases {
		c.h.Now = now
		if got := c.h.LoginWait(); got != c.want {
			t.Errorf("%s: wait %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAccountDelayDoubles(t *testing.T) {
	want := map[int]time.Duration{0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 10: 32 * time.Second,
		14: 512 * time.Second, 15: AccountDelayMax, 1 << 20: AccountDelayMax}
	for failures, d := range want {
		if got := AccountDelay(failures); got != d {
			t.Errorf("AccountDelay(%d) = %v, want %v", failures, got, d)
		}
	}
}

func TestLoginAddress(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.10":                     "192.0.2.10",
		"::ffff:192.0.2.10":              "192.0.2.10",
		"2001:db8:1:2:3:4:5:6":           "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:ffff:ff": "2001:db8:1:2::/64",
		"fe80::1%eth0":                   "fe80::/64",
		"not an address":                 "not an address",
	} {
		if got := LoginAddress(in); got != want {
			t.Errorf("LoginAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
