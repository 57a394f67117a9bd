package repository

import (
	"context"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// courseSelect reads a course with its province's code.
const courseSelect = `SELECT c.id, c.programme_id, c.code, c.title_ar, c.title_fr, c.year, p.code AS province,
       c.start_date, c.end_date, c.capacity, c.completion_threshold, c.archived
  FROM courses c JOIN provinces p ON p.id = c.province_id`

// CreateCourse validates and stores a course; its province is given by code.
func (s *Store) CreateCourse(ctx context.Context, c *domain.Course) error {
	if err := c.Validate(); err != nil {
		return err
	}
	const q = `INSERT INTO courses (programme_id, code, title_ar, title_fr, year, province_id,
	                                start_date, end_date, capacity, completion_threshold)
	           SELECT $1, $2, $3, $4, $5, p.id, $7, $8, $9, $10 FROM provinces p WHERE p.code = $6
	           RETURNING id`
	err := getOne(ctx, s.db, &c.ID, q, c.ProgrammeID, c.Code, c.TitleAr, c.TitleFr, c.Year, c.Province,
		c.StartDate, c.EndDate, c.Capacity, c.CompletionThreshold)
	if isNotFound(err) {
		return domain.Invalid("province", "province.unknown")
	}
	return err
}

// Course finds a course by id.
func (s *Store) Course(ctx context.Context, id int64) (*domain.Course, error) {
	return courseIn(ctx, s.db, id)
}

func courseIn(ctx context.Context, q sqlx.QueryerContext, id int64) (*domain.Course, error) {
	var c domain.Course
	if err := getOne(ctx, q, &c, courseSelect+` WHERE c.id = $1`, id); err != nil {
		return nil, err
	}
	return &c, nil
}
