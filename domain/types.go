package domain

// Category is a trainee's participant category.
type Category string

// The three categories of the programme report.
const (
	InstitutionalActor   Category = "institutional_actor"
	AssociativeActor     Category = "associative_actor"
	ChildParliamentarian Category = "child_parliamentarian"
)

// Categories lists every category in report order.
var Categories = []Category{InstitutionalActor, AssociativeActor, ChildParliamentarian}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	return c == InstitutionalActor || c == AssociativeActor || c == ChildParliamentarian
}

// IsLocalActor reports whether the category counts among "local actors":
// institutional plus associative actors; child parliamentarians never do.
func (c Category) IsLocalActor() bool {
	return c == InstitutionalActor || c == AssociativeActor
}

// OrganisationKind is the kind of organisation a category requires ("" when
// any organisation, or none, will do).
func (c Category) OrganisationKind() OrganisationKind {
	switch c {
	case InstitutionalActor:
		return Institution
	case AssociativeActor:
		return Association
	}
	return ""
}

// Sex of a trainee, as the ministry's figures break it down.
type Sex string

// The two values the ministry reports.
const (
	Female Sex = "female"
	Male   Sex = "male"
)

// Valid reports whether s is a known value.
func (s Sex) Valid() bool { return s == Female || s == Male }

// OrganisationKind distinguishes public institutions from associations.
type OrganisationKind string

// Organisation kinds.
const (
	Institution OrganisationKind = "institution"
	Association OrganisationKind = "association"
)

// Valid reports whether k is a known kind.
func (k OrganisationKind) Valid() bool { return k == Institution || k == Association }

// Role of a user of the application.
type Role string

// Roles, from most to least privileged.
const (
	RoleAdmin       Role = "admin"
	RoleCoordinator Role = "coordinator"
	RoleTrainer     Role = "trainer"
	RoleMinistry    Role = "ministry"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleCoordinator, RoleTrainer, RoleMinistry}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleCoordinator || r == RoleTrainer || r == RoleMinistry
}

// EnrollmentStatus is the state of a trainee's enrolment in a course.
type EnrollmentStatus string

// Enrolment states; a withdrawal keeps the enrolment and its attendance.
const (
	Enrolled  EnrollmentStatus = "enrolled"
	Completed EnrollmentStatus = "completed"
	Withdrawn EnrollmentStatus = "withdrawn"
)

// Valid reports whether s is a known status.
func (s EnrollmentStatus) Valid() bool { return s == Enrolled || s == Completed || s == Withdrawn }

// AttendanceStatus is one trainee's mark for one session.
type AttendanceStatus string

// Attendance marks; present and late count as attended.
const (
	Present AttendanceStatus = "present"
	Late    AttendanceStatus = "late"
	Excused AttendanceStatus = "excused"
	Absent  AttendanceStatus = "absent"
)

// AttendanceStatuses lists every mark in the order a roster offers them.
var AttendanceStatuses = []AttendanceStatus{Present, Late, Excused, Absent}

// Valid reports whether s is a known mark.
func (s AttendanceStatus) Valid() bool {
	return s == Present || s == Late || s == Excused || s == Absent
}

// Attended reports whether the mark means the trainee was in the room.
func (s AttendanceStatus) Attended() bool { return s == Present || s == Late }
