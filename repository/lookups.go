package repository

import (
	"context"
	"strings"

	"takaffoul/domain"
)

// CourseByCode finds a course of a programme by its code.
func (s *Store) CourseByCode(ctx context.Context, programmeID int64, code string) (_ *domain.Course, err error) {
	defer wrap(&err, "CourseByCode")
	var c domain.Course
	q := courseSelect + ` WHERE c.programme_id = $1 AND c.code = $2`
	if err := getOne(ctx, s.db, &c, q, programmeID, strings.TrimSpace(code)); err != nil {
		return nil, err
	}
	return &c, nil
}

// OrganisationByRegistration finds an organisation by its registration number.
func (s *Store) OrganisationByRegistration(ctx context.Context, number string) (_ *domain.Organisation, err error) {
	defer wrap(&err, "OrganisationByRegistration")
	var o domain.Organisation
	q := organisationSelect + ` WHERE o.registration_number = $1`
	if err := getOne(ctx, s.db, &o, q, strings.TrimSpace(number)); err != nil {
		return nil, err
	}
	return &o, nil
}

// TraineeByNationalID finds a trainee by national ID (CIN), typed in any
// case and with or without spaces.
func (s *Store) TraineeByNationalID(ctx context.Context, nationalID string) (_ *domain.Trainee, err error) {
	defer wrap(&err, "TraineeByNationalID")
	var t domain.Trainee
	cin := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(nationalID), " ", ""))
	if err := getOne(ctx, s.db, &t, traineeSelect+` WHERE t.national_id = $1`, cin); err != nil {
		return nil, err
	}
	return &t, nil
}

// EnrollmentOf finds a trainee's enrolment in a course.
func (s *Store) EnrollmentOf(ctx context.Context, courseID, traineeID int64) (_ *domain.Enrollment, err error) {
	defer wrap(&err, "EnrollmentOf")
	var e domain.Enrollment
	const q = `SELECT id, trainee_id, course_id, status, enrolled_by, enrolled_at, withdrawn_at
	             FROM enrollments WHERE course_id = $1 AND trainee_id = $2`
	if err := getOne(ctx, s.db, &e, q, courseID, traineeID); err != nil {
		return nil, err
	}
	return &e, nil
}
