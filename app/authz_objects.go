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
// the people enrolled in one of their courses.
func (s *Server) authorizeTrainee(c *fiber.Ctx, u *domain.User, traineeID int64) error {
	if managesEverything(u) {
		return nil
	}
	if u == nil || u.Role != domain.RoleTrainer {
		return domain.ErrNotFound
	}
	ok, err := s.store.TraineeInTrainersCourses(c.UserContext(), u.ID, traineeID)
	if err != nil {
		return err
	}
	if !ok {
		return domain.ErrNotFound
	}
	return nil
}
