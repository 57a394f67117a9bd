package repository

import (
	"context"
	"fmt"
)

// The demo's curriculum (issue 19): the takaffoul path's three yearly
// modules and its three yearly courses in them. The follow-up course of the
// week stays outside the path. No published figure moves: modules are not
// part of the totals.

// modules creates the plan's modules missing from their programme, by position.
func (a *demoApplier) modules(ctx context.Context) error {
	for code, modules := range a.plan.modules {
		programmeID := a.programmeIDs[code]
		existing, err := a.store.Modules(ctx, programmeID)
		if err != nil {
			return err
		}
		have := map[int]bool{}
		for _, m := range existing {
			have[m.Position] = true
		}
		for _, m := range modules {
			if have[m.Position] {
				continue
			}
			m.ProgrammeID = programmeID
			if err := a.store.CreateModule(ctx, &m, nil); err != nil {
				return fmt.Errorf("module %s %d: %w", code, m.Position, err)
			}
			a.report.Modules++
		}
	}
	return nil
}

// courseModules puts each course of the plan that has a module in it, once.
func (a *demoApplier) courseModules(ctx context.Context) error {
	for code := range a.plan.modules {
		programmeID := a.programmeIDs[code]
		modules, err := a.store.Modules(ctx, programmeID)
		if err != nil {
			return err
		}
		byPosition := map[int]int64{}
		for _, m := range modules {
			byPosition[m.Position] = m.ID
		}
		courses, err := a.store.ModuleCourses(ctx, programmeID)
		if err != nil {
			return err
		}
		inModule := map[string]int64{}
		for _, c := range courses {
			inModule[c.Code] = c.ModuleID
		}
		for _, dc := range a.plan.courses {
			if dc.programme != code || dc.module == 0 {
				continue
			}
			want := byPosition[dc.module]
			if inModule[dc.course.Code] == want {
				continue
			}
			existing, err := a.store.CourseByCode(ctx, programmeID, dc.course.Code)
			if err != nil {
				return err
			}
			if err := a.store.SetCourseModule(ctx, existing.ID, &want, nil); err != nil {
				return fmt.Errorf("course %s's module: %w", dc.course.Code, err)
			}
			a.report.CourseModules++
		}
	}
	return nil
}
