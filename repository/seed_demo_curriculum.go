package repository

import (
	"context"
	"fmt"
	"math/rand/v2"

	"takaffoul/domain"
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

// demoScoresOf gives the first people of the cohort scores in c (issue 19,
// point 2), from a generator of their own, so that no other draw of the
// demo moves: a pre-test of 35–64, a post-test from 5 below to 29 above it,
// satisfaction of 3–5 (the last one skips the third item).
func demoScoresOf(c *demoCourse, people []*demoPerson) {
	rng := rand.New(rand.NewPCG(2020, 19))
	for i, p := range people {
		pre := 35 + rng.IntN(30)
		post := min(100, pre-5+rng.IntN(35))
		sc := domain.Scores{Pre: &pre, Post: &post}
		for k := range sc.Satisfaction {
			if i == len(people)-1 && k == 2 {
				continue
			}
			v := 3 + rng.IntN(3)
			sc.Satisfaction[k] = &v
		}
		c.scores = append(c.scores, demoScores{person: p, scores: sc})
	}
}

// scores enters the plan's scores where none are entered yet.
func (a *demoApplier) scores(ctx context.Context) error {
	for _, dc := range a.plan.courses {
		if len(dc.scores) == 0 {
			continue
		}
		course, err := a.store.CourseByCode(ctx, a.programmeIDs[dc.programme], dc.course.Code)
		if err != nil {
			return err
		}
		for _, ds := range dc.scores {
			row, err := a.store.EnrollmentScores(ctx, course.ID, a.traineeIDs[ds.person])
			if err != nil {
				return err
			}
			if !row.Scores().Empty() {
				continue
			}
			if err := a.store.SaveScores(ctx, course.ID, a.traineeIDs[ds.person], ds.scores, nil); err != nil {
				return fmt.Errorf("scores in %s: %w", dc.course.Code, err)
			}
			a.report.Scores++
		}
	}
	return nil
}
