package repository

// Advisory locks: every key the application takes is named here, so that a
// new one is chosen knowing the others. PostgreSQL keeps one-key (bigint)
// and two-key (int, int) locks apart: the two sets cannot collide. The
// migrations take goose's own key (lock.DefaultLockID, migrate.go).

// One-key locks.
const (
	// importLock serialises imports: people without a national ID
	// (children) are matched on their identity, which no unique index
	// guards, so two imports of the same list at once must not both create
	// them (imports.go).
	importLock int64 = 0x7a6b_1d_01
	// foldLock is held by the folder and the rebuild: one of them at a time
	// writes the cells and the cubes (totals_fold.go).
	foldLock int64 = 0x7a6b_1d_02
	// firstAdminLock serialises first-run setups (a double submit, two
	// instances started on one empty database): one admin comes out of it
	// (users.go). The bytes spell "takafool".
	firstAdminLock int64 = 0x74616b61666f6f6c
)

// Two-key locks: a class and a key (the login reservations, logins.go).
const (
	loginAccountLock = 7710
	loginAddressLock = 7711
)

// Locks of one object, keyed by a name and the object's id
// (hashtextextended(name, id)), or by a name alone (hashtext(name)).
const (
	certificatesLock   = "certificates"        // a course's certificates (certificates.go)
	enrolmentCodesLock = "enrollment_codes"    // a course's check-in codes (checkin.go)
	retentionLock      = "takaffoul.retention" // the retention run, one at a time (retention.go)
)
