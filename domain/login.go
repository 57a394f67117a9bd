package domain

import "time"

// Login throttling: after MaxFailedLogins failures for one account or from
// one address within LoginWindow, further attempts are refused until the
// window has passed.
const (
	MaxFailedLogins = 5
	LoginWindow     = 15 * time.Minute
)

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
