package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// userIDOf returns the signed-in user's id for the audit log (nil for none).
func userIDOf(u *domain.User) *int64 {
	if u == nil {
		return nil
	}
	return &u.ID
}

// managesEverything reports whether the role sees every course and trainee.
func managesEverything(u *domain.User) bool {
	return u != nil && (u.Role == domain.RoleAdmin || u.Role == domain.RoleCoordinator)
}

// authorizeTrainee lets coordinators and admins at anyone, and trainers at
// the people currently enrolled (not withdrawn) in one of their courses.
// Anyone else is 404: a person's existence does not leak.
func (s *Server) authorizeTrainee(c *fiber.Ctx, u *domain.User, traineeID int64) error {
	if managesEverything(u) {
		return nil
	}
	if u == nil || u.Role != domain.RoleTrainer {
		return domain.ErrNotFound
	}
	reach, err := s.store.TraineeReach(c.UserContext(), traineeID, u.ID)
	if err != nil {
		return err
	}
	if !reach.Reachable {
		return domain.ErrNotFound
	}
	return nil
}

// authorizeEnrolExisting lets a trainer enrol an existing person by id,
// except a minor they could not have found: a child outside their own
// courses stays out of their reach (a coordinator enrols them). Others pass;
// an unknown id is left to the enrolment to refuse.
func (s *Server) authorizeEnrolExisting(c *fiber.Ctx, traineeID int64) error {
	u := currentUser(c)
	if managesEverything(u) {
		return nil
	}
	reach, err := s.store.TraineeReach(c.UserContext(), traineeID, u.ID)
	if err != nil {
		return err
	}
	if reach.Minor && !reach.Reachable {
		return domain.ErrNotFound
	}
	return nil
}
