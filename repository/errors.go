package repository

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"takaffoul/domain"
)

// constraintProblem is the field a constraint is about and the message key
// to show next to it.
type constraintProblem struct {
	field string
	key   string
}

// constraintProblems covers every constraint whose violation a user can
// cause. Domain validation normally catches these first; the constraint is
// the guarantee behind it.
var constraintProblems = map[string]constraintProblem{
	"trainees_national_id_key":       {"national_id", "trainee.national_id_taken"},
	"organisations_registration_key": {"registration_number", "organisation.registration_taken"},
	"organisation_keys_unique":       {"name_fr", "organisation.name_taken"},
	"users_email_key":                {"email", "user.email_taken"},
	"programmes_code_key":            {"code", "programme.code_taken"},
	"courses_programme_id_code_key":  {"code", "course.code_taken"},
	"provinces_code_key":             {"code", "province.code_taken"},
	"enrollments_trainee_course_key": {"trainee_id", "enrollment.already_enrolled"},
	"trainees_child_minimal_data":    {"category", "trainee.child_minimal_data"},
	"trainees_institutional_actor":   {"organisation_id", "trainee.institution_required"},
	"trainees_associative_actor":     {"organisation_id", "trainee.association_required"},
	"trainees_organisation_fkey":     {"organisation_id", "trainee.organisation_unknown"},
	"trainees_province_id_fkey":      {"province", "province.unknown"},
	"organisations_province_id_fkey": {"province", "province.unknown"},
	"provinces_region_id_fkey":       {"region_id", "region.unknown"},
	"courses_programme_id_fkey":      {"programme_id", "programme.unknown"},
	"courses_province_id_fkey":       {"province", "province.unknown"},
	"sessions_course_id_fkey":        {"course_id", "course.unknown"},
	"enrollments_trainee_id_fkey":    {"trainee_id", "trainee.unknown"},
	"enrollments_course_id_fkey":     {"course_id", "course.unknown"},
	"enrollments_child_is_minor":     {"birth_year", "enrollment.child_not_minor"},
	"enrollments_child_consent":      {"trainee_id", "consent.required_to_enrol"},
	"enrollments_person_anonymised":  {"trainee_id", "consent.person_anonymised"},
	"course_trainers_user_id_fkey":   {"user_id", "user.unknown"},
	"attendance_enrollment_fkey":     {"trainee_id", "attendance.not_enrolled"},
	"attendance_session_fkey":        {"session_id", "attendance.not_enrolled"},
	"reported_figures_key":           {"source", "reported.duplicate"},
	"indicators_code_key":            {"code", "indicators.code_taken"},
}

// mapError translates PostgreSQL errors into the domain's: a unique
// violation is a conflict (a *domain.Refusal naming the field when the
// constraint is known), a check or foreign-key violation is invalid input,
// a database that cannot be reached or did not answer in time is
// unavailable. Anything else is returned as it is, to be logged and
// answered with a 500.
func mapError(err error) error {
	if err == nil || translated(err) {
		return err
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	if closed := pq.As(err, pqerror.ObjectNotInPrerequisiteState); closed != nil && closed.Constraint == "course_closed" {
		return fmt.Errorf("%w: %w", ErrCourseClosed, closed) // the guard of migration 00016
	}
	pqErr := pq.As(err, pqerror.UniqueViolation, pqerror.CheckViolation, pqerror.ForeignKeyViolation,
		pqerror.NotNullViolation, pqerror.NumericValueOutOfRange, pqerror.InvalidTextRepresentation,
		pqerror.StringDataRightTruncation, pqerror.CharacterNotInRepertoire, pqerror.UntranslatableCharacter)
	if pqErr == nil {
		return err
	}
	if pqErr.Code == pqerror.CharacterNotInRepertoire || pqErr.Code == pqerror.UntranslatableCharacter {
		// A NUL byte or broken UTF-8 typed or pasted into a text field.
		return domain.Invalid("text", "validation.text_encoding")
	}
	problem, known := constraintProblems[pqErr.Constraint]
	if !known {
		problem = constraintProblem{field: pqErr.Column, key: "validation.rejected"}
	}
	if pqErr.Code == pqerror.UniqueViolation {
		conflict := &domain.Refusal{Kind: domain.ErrConflict, Cause: pqErr}
		if problem.field != "" {
			conflict.Fields = map[string]domain.Problem{problem.field: {Key: problem.key}}
		}
		return conflict
	}
	return domain.Invalid(problem.field, problem.key)
}

// translated reports whether err is one of the domain's already (a store
// method's error may pass through mapError twice: inside, then by wrap).
func translated(err error) bool {
	for _, kind := range []error{domain.ErrUnavailable, domain.ErrConflict, domain.ErrInvalid, domain.ErrNotFound, domain.ErrForbidden} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// unreachable reports whether err says the database did not answer (down,
// restarting, a silent link, too slow for the caller's deadline) rather
// than that the statement is wrong. A statement whose deadline passed
// fails with the cut connection's i/o timeout (dial.go), or with
// query_canceled when the server's answer to the cancel came first.
func unreachable(err error) bool {
	var netErr net.Error
	var pqErr *pq.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return true
	case errors.As(err, &netErr):
		return true
	case errors.As(err, &pqErr):
		// class 08: connection exception; 57P: operator intervention
		// (shutdown, restart); 57014: the statement cancelled.
		code := string(pqErr.Code)
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P") || pqErr.Code == pqerror.QueryCanceled
	}
	return false
}

// notFound is domain.ErrNotFound with the query's context for the log.
func notFound(what string) error {
	return fmt.Errorf("%.60s: %w", what, domain.ErrNotFound)
}

func isNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }

// wrap gives a store method's error its name and the domain's meaning, once
// (as pkgsite's derrors.Wrap): the driver's errors become the domain's
// (mapError), and the log says which call failed.
//
//	func (s *Store) Course(ctx context.Context, id int64) (_ *domain.Course, err error) {
//		defer wrap(&err, "Course %d", id)
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	*errp = fmt.Errorf(format+": %w", append(args, mapError(*errp))...)
}
