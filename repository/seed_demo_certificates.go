package repository

import (
	"context"
	"fmt"
)

// certificates issues the certificates of the demo's finished courses
// (issue 19, point 3), as a coordinator's bulk issue would: one per
// completed enrolment. A second run issues none.
func (a *demoApplier) certificates(ctx context.Context) error {
	for _, dc := range a.plan.courses {
		if !dc.course.EndDate.Before(a.now) {
			continue // still running: certificates come when it ends
		}
		c, err := a.store.CourseByCode(ctx, a.programmeIDs[dc.programme], dc.course.Code)
		if err != nil {
			return err
		}
		run, err := a.store.IssueCertificates(ctx, c.ID, nil)
		if err != nil {
			return fmt.Errorf("certificates of %s: %w", dc.course.Code, err)
		}
		a.report.Certificates += run.Issued
	}
	return nil
}
