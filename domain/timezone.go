package domain

import (
	"time"
	_ "time/tzdata" // Africa/Casablanca on machines without a zoneinfo database
)

// Casablanca is the time zone in which every date and time is shown and
// entered; the database and the code work in UTC.
var Casablanca = mustLoadLocation("Africa/Casablanca")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("time zone " + name + ": " + err.Error())
	}
	return loc
}
