package app

import (
	"fmt"
	"html/template"
	"io"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Scores and satisfaction (issue 19, point 2): a trainer of the course
// enters them one person at a time on a page made for a phone (it works
// without JavaScript); the figures' readers see means, suppressed for the
// ministry.

// scoresForm is one enrolment's scores (views/pages/courses/score.html);
// a field left empty is not entered.
type scoresForm struct {
	Pre  *int `form:"pre_score"`
	Post *int `form:"post_score"`
	S1   *int `form:"satisfaction_1"`
	S2   *int `form:"satisfaction_2"`
	S3   *int `form:"satisfaction_3"`
}

func (f *scoresForm) scores() domain.Scores {
	return domain.Scores{Pre: f.Pre, Post: f.Post, Satisfaction: [3]*int{f.S1, f.S2, f.S3}}
}

func scoresFormOf(sc domain.Scores) scoresForm {
	return scoresForm{Pre: sc.Pre, Post: sc.Post, S1: sc.Satisfaction[0], S2: sc.Satisfaction[1], S3: sc.Satisfaction[2]}
}

// scoresListData is the course's people and whether their scores are in.
type scoresListData struct {
	Course *domain.Course
	People []repository.ScoreRow
}

// scoresPage lists the course's people, each linking to their form.
func (s *Server) scoresPage(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	people, err := s.store.CourseScores(c.UserContext(), course.ID)
	if err != nil {
		return err
	}
	return s.render(c, "courses/scores", &scoresListData{Course: course, People: people})
}

// scoreFormData is one person's form.
type scoreFormData struct {
	Course  *domain.Course
	Person  *repository.ScoreRow
	Ratings []int    // 1…5, the choices of each item
	Items   []string // the items' field names
}

func (s *Server) scoreFormData(c *fiber.Ctx) (*scoreFormData, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	traineeID, err := paramID(c, "trainee_id")
	if err != nil {
		return nil, err
	}
	row, err := s.store.EnrollmentScores(c.UserContext(), course.ID, traineeID)
	if err != nil {
		return nil, err
	}
	return &scoreFormData{Course: course, Person: row, Ratings: []int{1, 2, 3, 4, 5}, Items: domain.SatisfactionFields[:]}, nil
}

// scorePage shows one person's scores form.
func (s *Server) scorePage(c *fiber.Ctx) error {
	d, err := s.scoreFormData(c)
	if err != nil {
		return err
	}
	f := scoresFormOf(d.Person.Scores())
	return s.renderForm(c, "courses/score", d, formOf(&f), nil)
}

// saveScoresForm saves one person's scores, then goes back to the list.
func (s *Server) saveScoresForm(c *fiber.Ctx) error {
	d, err := s.scoreFormData(c)
	if err != nil {
		return err
	}
	var f scoresForm
	form := readForm(c, &f)
	sc := f.scores()
	err = form.Check(sc.Validate())
	if err == nil {
		err = s.store.SaveScores(c.UserContext(), d.Course.ID, d.Person.TraineeID, sc, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "courses/score", form, err, func() (any, error) { return d, nil })
	}
	return s.redirectWithFlash(c, fmt.Sprintf("/courses/%d/scores#p-%d", d.Course.ID, d.Person.TraineeID), "outcomes.saved")
}

// scoresOutput is a row of GET /courses/{id}/scores.
type scoresOutput struct {
	repository.ScoreRow
	domain.Scores
}

// apiCourseScores answers GET /api/v1/courses/{id}/scores.
func (s *Server) apiCourseScores(c *fiber.Ctx) error {
	rows, err := s.store.CourseScores(c.UserContext(), courseID(c))
	if err != nil {
		return err
	}
	out := make([]scoresOutput, 0, len(rows))
	for _, r := range rows {
		out = append(out, scoresOutput{ScoreRow: r, Scores: r.Scores()})
	}
	return c.JSON(out)
}

// apiPutScores answers PUT /api/v1/courses/{id}/enrollments/{trainee_id}/scores
// with {"pre_score", "post_score", "satisfaction": [a, b, c]} (null: not entered).
func (s *Server) apiPutScores(c *fiber.Ctx) error {
	traineeID, err := paramID(c, "trainee_id")
	if err != nil {
		return err
	}
	var in domain.Scores
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.store.SaveScores(c.UserContext(), courseID(c), traineeID, in, actor(c)); err != nil {
		return err
	}
	return c.JSON(in)
}

// shownOutcomes reads the outcome figures of programme (code, "" all) and
// year (0 all) as the signed-in user may read them, as shownTotals does.
func (s *Server) shownOutcomes(c *fiber.Ctx, programme string, year int) (*domain.ShownOutcomes, error) {
	o, err := s.store.Outcomes(c.UserContext(), programme, year)
	if err != nil {
		return nil, err
	}
	var shown domain.ShownOutcomes
	if coordinators.admits(currentUser(c)) {
		shown = domain.ExactOutcomes(*o)
	} else {
		shown = domain.SuppressOutcomes(*o)
	}
	return &shown, nil
}

// apiOutcomes answers GET /api/v1/outcomes?programme=&year=.
func (s *Server) apiOutcomes(c *fiber.Ctx) error {
	f, err := domain.ParseTotalsFilter(map[string]string{"programme": c.Query("programme"), "year": c.Query("year")})
	if err != nil {
		return err
	}
	shown, err := s.shownOutcomes(c, f.Programme, f.Year)
	if err != nil {
		return err
	}
	return c.JSON(shown)
}

// Mean writes a mean of the outcome figures: "—" over nobody, "<5" when
// the rule hid it, else the number in the page's way ({{$.Data.Mean .Tested .MeanGain}}).
func (d *dashboardData) Mean(people domain.Cell, m domain.MeanCell) template.HTML {
	return d.mean(people, m, formatDecimal(d.lang, m.Value))
}

// Share writes a share of people as a percentage, as Mean does.
func (d *dashboardData) Share(people domain.Cell, m domain.MeanCell) template.HTML {
	return d.mean(people, m, formatPercent(d.lang, m.Value))
}

func (d *dashboardData) mean(people domain.Cell, m domain.MeanCell, shown string) template.HTML {
	switch {
	case people.Hidden:
		return d.Marker()
	case people.Value == 0:
		return "—"
	}
	return isolated(shown)
}

// importScores reads the uploaded scores file ("file") and saves it into
// the course, every row or none (repository.ImportScores); a refused file
// is an *domain.ImportError naming each row.
func (s *Server) importScores(c *fiber.Ctx, courseID int64) (int, error) {
	header, err := c.FormFile("file")
	if err != nil {
		return 0, domain.Invalid("file", "validation.required")
	}
	if header.Size > domain.MaxImportBytes {
		return 0, &domain.ImportError{Problems: []domain.ImportProblem{{Key: "import.file_too_large", Param: "10 MB"}}}
	}
	f, err := header.Open()
	if err != nil {
		return 0, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, domain.MaxImportBytes+1))
	if err != nil {
		return 0, err
	}
	file := domain.ParseScoresImport(data, header.Filename)
	if !file.RowsOnly() {
		return 0, file.Err() // the file or its header: no row can be read
	}
	return s.store.ImportScores(c.UserContext(), courseID, file.Rows, file.Problems, actor(c))
}

// importScoresForm answers the scores page's file form: back to the list
// and a message saying the file was saved; a refused file is the error page listing its rows.
func (s *Server) importScoresForm(c *fiber.Ctx) error {
	id := courseID(c)
	if _, err := s.importScores(c, id); err != nil {
		return err
	}
	return s.redirectWithFlash(c, fmt.Sprintf("/courses/%d/scores", id), "outcomes.import.saved")
}

// apiImportScores answers POST /api/v1/courses/{id}/scores/import (multipart
// "file"): {"saved": n}; a refused file is 422 with every row's problem.
func (s *Server) apiImportScores(c *fiber.Ctx) error {
	n, err := s.importScores(c, courseID(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"saved": n})
}
