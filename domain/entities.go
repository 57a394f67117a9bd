package domain

import "time"

// Region is one of the 12 regions of Morocco (reference data).
type Region struct {
	ID     int16  `db:"id" json:"id"`
	Code   string `db:"code" json:"code"`
	NameAr string `db:"name_ar" json:"name_ar"`
	NameFr string `db:"name_fr" json:"name_fr"`
	NameEn string `db:"name_en" json:"name_en"`
}

// Province is a province or prefecture, added by coordinators.
type Province struct {
	ID       int64  `db:"id" json:"id"`
	RegionID int16  `db:"region_id" json:"region_id" validate:"required,gte=1,lte=12"`
	Code     string `db:"code" json:"code" validate:"required,max=60"`
	NameAr   string `db:"name_ar" json:"name_ar" validate:"required,text,max=200"`
	NameFr   string `db:"name_fr" json:"name_fr" validate:"required,text,max=200"`
}

// Programme is a national training programme (Takaffoul, child protection…).
type Programme struct {
	ID        int64  `db:"id" json:"id"`
	Code      string `db:"code" json:"code" validate:"required,max=60"`
	NameAr    string `db:"name_ar" json:"name_ar" validate:"required,text,max=300"`
	NameFr    string `db:"name_fr" json:"name_fr" validate:"required,text,max=300"`
	NameEn    string `db:"name_en" json:"name_en" validate:"required,text,max=300"`
	StartYear int    `db:"start_year" json:"start_year" validate:"required,gte=2000,lte=2100"`
	EndYear   int    `db:"end_year" json:"end_year" validate:"required,gte=2000,lte=2100"`
	Archived  bool   `db:"archived" json:"archived"`
}

// Course is one training course of a programme, held in one province.
type Course struct {
	ID                  int64  `db:"id" json:"id"`
	ProgrammeID         int64  `db:"programme_id" json:"programme_id" validate:"required"`
	Code                string `db:"code" json:"code" validate:"required,max=60"`
	TitleAr             string `db:"title_ar" json:"title_ar" validate:"required,text,max=300"`
	TitleFr             string `db:"title_fr" json:"title_fr" validate:"required,text,max=300"`
	Year                int    `db:"year" json:"year" validate:"required,gte=2000,lte=2100"`
	Province            string `db:"province" json:"province" validate:"required"`
	StartDate           Date   `db:"start_date" json:"start_date"`
	EndDate             Date   `db:"end_date" json:"end_date"`
	Capacity            int    `db:"capacity" json:"capacity" validate:"required,gte=1,lte=10000"`
	CompletionThreshold int    `db:"completion_threshold" json:"completion_threshold" validate:"gte=1,lte=100"`
	Archived            bool   `db:"archived" json:"archived"`
	// Closed: its report is done (issue 14); writes need a coordinator's reason.
	ClosedAt *time.Time `db:"closed_at" json:"closed_at"`
	ClosedBy *int64     `db:"closed_by" json:"closed_by"`
}

// Session is one training session of a course. Times are stored in UTC and
// shown in Africa/Casablanca.
type Session struct {
	ID       int64     `db:"id" json:"id"`
	CourseID int64     `db:"course_id" json:"course_id"`
	StartsAt time.Time `db:"starts_at" json:"starts_at" validate:"required"`
	EndsAt   time.Time `db:"ends_at" json:"ends_at" validate:"required"`
	Place    string    `db:"place" json:"place" validate:"text,max=300"`
	Hours    float64   `db:"hours" json:"hours" validate:"gt=0,lte=24"`
	// Cancelled: kept, shown struck through, counted nowhere (issue 14).
	CancelledAt  *time.Time `db:"cancelled_at" json:"cancelled_at"`
	CancelledBy  *int64     `db:"cancelled_by" json:"cancelled_by"`
	CancelReason *string    `db:"cancel_reason" json:"cancel_reason"`
	HasMarks     bool       `db:"has_marks" json:"has_marks"` // once marked, a session is no longer edited
}

// Organisation is a public institution or an association.
type Organisation struct {
	ID                 int64            `db:"id" json:"id"`
	Kind               OrganisationKind `db:"kind" json:"kind" validate:"required,oneof=institution association"`
	NameAr             *string          `db:"name_ar" json:"name_ar" validate:"omitempty,text,max=300"`
	NameFr             *string          `db:"name_fr" json:"name_fr" validate:"omitempty,text,max=300"`
	Province           *string          `db:"province" json:"province" validate:"omitempty,text"`
	RegistrationNumber *string          `db:"registration_number" json:"registration_number" validate:"omitempty,text,max=60"`
}

// User is a person who signs in: an admin, coordinator, trainer or ministry officer.
type User struct {
	ID           int64     `db:"id" json:"id"`
	Email        string    `db:"email" json:"email" validate:"required,text,email,max=254"`
	Name         string    `db:"name" json:"name" validate:"required,text,max=200"`
	Role         Role      `db:"role" json:"role" validate:"required,oneof=admin coordinator trainer ministry"`
	PasswordHash string    `db:"password_hash" json:"-"`
	Active       bool      `db:"active" json:"active"`
	Language     string    `db:"language" json:"language"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
	// CSVSeparator is the separator chosen for CSV downloads; "" lets the
	// language decide (CSVSeparatorFor).
	CSVSeparator CSVSeparator `db:"csv_separator" json:"csv_separator"`
}

// Enrollment is a trainee's place in a course.
type Enrollment struct {
	ID          int64            `db:"id" json:"id"`
	TraineeID   int64            `db:"trainee_id" json:"trainee_id"`
	CourseID    int64            `db:"course_id" json:"course_id"`
	Status      EnrollmentStatus `db:"status" json:"status"`
	EnrolledBy  *int64           `db:"enrolled_by" json:"enrolled_by"`
	EnrolledAt  time.Time        `db:"enrolled_at" json:"enrolled_at"`
	WithdrawnAt *time.Time       `db:"withdrawn_at" json:"withdrawn_at"`
}

// Attendance is one trainee's mark for one session.
type Attendance struct {
	EnrollmentID int64            `db:"enrollment_id" json:"enrollment_id"`
	SessionID    int64            `db:"session_id" json:"session_id"`
	Status       AttendanceStatus `db:"status" json:"status"`
	MarkedBy     *int64           `db:"marked_by" json:"marked_by"`
	MarkedAt     time.Time        `db:"marked_at" json:"marked_at"`
}
