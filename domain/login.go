package domain

import (
	"net/netip"
	"time"
)

// Login limits: every attempt is counted before its password is checked,
// against three budgets (docs/SECURITY.md, "Login limits"):
//
//   - one account from one address: MaxPairFailures failures within
//     LoginWindow, then that pair waits until the oldest leaves the window;
//   - one address, whatever the accounts: MaxAddressFailures within
//     LoginWindow (one address guessing many accounts);
//   - one account, from anywhere: after AccountFreeFailures within
//     AccountWindow, an attempt waits AccountDelay after the account's last
//     failure, a delay that doubles with each failure, up to AccountDelayMax.
//
// No budget locks the owner out. An address the account signed in from
// within KnownAddressMemory (the owner's usual one) answers only to its own
// pair budget; so does an address that has not failed for the account,
// while fewer than MaxFreshAddresses addresses have failed for it lately (an
// attacker spread over many addresses is slowed by the account's delay).
const (
	LoginWindow         = 15 * time.Minute
	MaxPairFailures     = 5
	MaxAddressFailures  = 20
	AccountWindow       = 24 * time.Hour
	AccountFreeFailures = 5
	AccountDelayMax     = 15 * time.Minute
	KnownAddressMemory  = 90 * 24 * time.Hour
	MaxFreshAddresses   = 10

	accountDelayBase = time.Second
)

// LoginHistory is what the limits know when an attempt arrives. A failure
// is an attempt not known to have succeeded: one whose check is still
// running counts.
type LoginHistory struct {
	Now time.Time // the database's clock

	// The account from this address, within LoginWindow and since the pair's
	// last success; PairLimitAt is when the MaxPairFailures-th most recent of
	// those failures happened (zero when there are fewer).
	PairFailures int
	PairLimitAt  time.Time

	// This address, every account, within LoginWindow; AddressLimitAt is the
	// time of the MaxAddressFailures-th most recent failure.
	AddressFailures int
	AddressLimitAt  time.Time

	// The account from anywhere, within AccountWindow.
	AccountFailures    int
	AccountLastFailure time.Time

	KnownAddress     bool // the account signed in from this address within KnownAddressMemory
	AddressFailed    bool // this address failed for the account within AccountWindow
	FailingAddresses int  // addresses that failed for the account within LoginWindow
}

// LoginWait is how long the attempt must wait before its password may be
// checked, rounded up to the second; 0: check it now.
func (h LoginHistory) LoginWait() time.Duration {
	var wait time.Duration
	if h.PairFailures >= MaxPairFailures {
		wait = max(wait, h.until(h.PairLimitAt.Add(LoginWindow)))
	}
	if h.KnownAddress {
		return wait
	}
	if h.AddressFailures >= MaxAddressFailures {
		wait = max(wait, h.until(h.AddressLimitAt.Add(LoginWindow)))
	}
	fresh := !h.AddressFailed && h.FailingAddresses < MaxFreshAddresses
	if !fresh && h.AccountFailures >= AccountFreeFailures {
		wait = max(wait, h.until(h.AccountLastFailure.Add(AccountDelay(h.AccountFailures))))
	}
	return wait
}

func (h LoginHistory) until(t time.Time) time.Duration {
	d := t.Sub(h.Now)
	if d <= 0 {
		return 0
	}
	return (d + time.Second - 1).Truncate(time.Second)
}

// AccountDelay is the wait after an account's last failure once it has
// failed failures times within AccountWindow: 1 s after the
// AccountFreeFailures-th, doubling with each, at most AccountDelayMax.
func AccountDelay(failures int) time.Duration {
	n := failures - AccountFreeFailures
	switch {
	case n < 0:
		return 0
	case n >= 20:
		return AccountDelayMax
	}
	return min(accountDelayBase<<n, AccountDelayMax)
}

// LoginAddress is the address that the login limits count: an IPv4 address
// as it is, an IPv6 address as its /64 (one subscriber's block, in which
// they may pick any address).
func LoginAddress(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr.WithZone(""), 64).Masked().String()
}

// Languages the interface speaks, the first being the default.
var Languages = []string{"ar", "fr", "en"}

// ValidLanguage reports whether lang is one of Languages.
func ValidLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}
