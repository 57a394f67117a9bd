package repository

import (
	"context"

	"takaffoul/domain"
)

// SignInSheet is what a printed sign-in sheet shows for one session: the
// page (issue 5, item 3) renders it with an empty signature column and a few
// blank rows for walk-ins.
type SignInSheet struct {
	Programme  domain.Programme
	Course     domain.Course
	Session    domain.Session
	ProvinceAr string
	ProvinceFr string
	Trainers   []string // names of the course's trainers, by name
	Trainees   []SignInTrainee
}

// ProvinceNames is the name of the course's province in each language.
func (s *SignInSheet) ProvinceNames() domain.Names {
	return domain.Names{Ar: s.ProvinceAr, Fr: s.ProvinceFr}
}

// SignInTrainee is one line of the sheet.
type SignInTrainee struct {
	TraineeID      int64           `db:"id"`
	FullNameAr     *string         `db:"full_name_ar"`
	FullNameLatin  *string         `db:"full_name_latin"`
	Category       domain.Category `db:"category"`
	OrganisationAr *string         `db:"organisation_ar"`
	OrganisationFr *string         `db:"organisation_fr"`
}

// OrganisationNames is the name of the trainee's organisation in each language.
func (t SignInTrainee) OrganisationNames() domain.Names {
	return domain.Organisation{NameAr: t.OrganisationAr, NameFr: t.OrganisationFr}.Names()
}

// SignInSheet gathers a session's sign-in sheet: its course and programme,
// trainers, and the trainees enrolled (withdrawn ones left out), ordered by
// name in the reader's language (lang "ar": Arabic names first). A session
// of a course outside the scope is domain.ErrNotFound.
func (s *Store) SignInSheet(ctx context.Context, sessionID int64, scope Scope, lang string) (_ *SignInSheet, err error) {
	defer wrap(&err, "SignInSheet")
	var sheet SignInSheet
	session, err := s.Session(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if !scope.Allows(session.CourseID) {
		return nil, notFound("session")
	}
	sheet.Session = *session
	course, err := s.Course(ctx, session.CourseID)
	if err != nil {
		return nil, err
	}
	sheet.Course = *course
	programme, err := s.Programme(ctx, course.ProgrammeID)
	if err != nil {
		return nil, err
	}
	sheet.Programme = *programme
	province, err := s.ProvinceByCode(ctx, course.Province)
	if err != nil {
		return nil, err
	}
	sheet.ProvinceAr, sheet.ProvinceFr = province.NameAr, province.NameFr

	const trainers = `SELECT u.name FROM course_trainers ct JOIN users u ON u.id = ct.user_id
	                   WHERE ct.course_id = $1 ORDER BY u.name`
	if err := s.db.SelectContext(ctx, &sheet.Trainers, trainers, course.ID); err != nil {
		return nil, mapError(err)
	}
	if sheet.Trainees, err = s.CourseSignInTrainees(ctx, course.ID, lang); err != nil {
		return nil, err
	}
	return &sheet, nil
}

// CourseSignInTrainees is the course's people as a sign-in sheet or a badge
// shows them: the active enrolments (withdrawn ones left out), ordered by
// name in the reader's language (lang "ar": Arabic names first).
func (s *Store) CourseSignInTrainees(ctx context.Context, courseID int64, lang string) (_ []SignInTrainee, err error) {
	defer wrap(&err, "CourseSignInTrainees %d", courseID)
	// A withdrawn child's or an anonymised person's number, not their name (consents.go).
	const q = `SELECT t.id, ` + shownNameArSQL + ` AS full_name_ar, ` + shownNameLatinSQL + ` AS full_name_latin, t.category,
	                  o.name_ar AS organisation_ar, o.name_fr AS organisation_fr
	             FROM enrollments e
	             JOIN trainees t ON t.id = e.trainee_id
	             LEFT JOIN organisations o ON o.id = t.organisation_id
	            WHERE e.course_id = $1 AND e.status <> 'withdrawn'
	            ORDER BY CASE WHEN $2 = 'ar' THEN coalesce(t.full_name_ar, t.full_name_latin)
	                          ELSE coalesce(t.full_name_latin, t.full_name_ar) END, t.id`
	trainees := []SignInTrainee{}
	if err := s.db.SelectContext(ctx, &trainees, q, courseID, lang); err != nil {
		return nil, mapError(err)
	}
	return trainees, nil
}
