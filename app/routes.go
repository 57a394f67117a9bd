package app

import (
	"fmt"
	"slices"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// roles is a guard: who may use a route. Admins are in every guard: they
// may do everything a coordinator does.
type roles []domain.Role

// The guards, named once. Each route below names its guard; a route
// without one is open to any signed-in user (publicRoutes, in auth.go, are
// the few open to anyone). Every route is in the route × role matrix of
// authz_matrix_test.go, which fails for a route without an entry.
var (
	admins       = roles{}                                                                // users
	coordinators = roles{domain.RoleCoordinator}                                          // programmes, course set-up, trainers, reported figures
	workers      = roles{domain.RoleCoordinator, domain.RoleTrainer}                      // courses, people, enrolment, attendance, files of people
	readers      = roles{domain.RoleCoordinator, domain.RoleMinistry}                     // the figures: aggregates only
	everyone     = roles{domain.RoleCoordinator, domain.RoleTrainer, domain.RoleMinistry} // the list of programmes
)

// routes registers every route of the application, grouped by resource:
// its pages, its API and its files together. Guards: s.allow for a route
// that names nothing (other roles: 403), s.onCourse, s.onSession and
// s.onTrainee for one that names an object (see objectRefusal).
func (s *Server) routes(f *fiber.App) {
	// No session, no CSRF: health checks and assets.
	f.Get("/healthz", s.healthz)
	f.Get("/readyz", s.readyz)
	f.Get("/static/*", s.staticFiles)

	// On a database with no account: the home and login pages lead to /setup.
	f.Use(s.offerSetup)

	// Everything below knows who is asking. The enrolment API comes first:
	// the busiest write, it may take a coordinator's token from the cache
	// and confirm it in its own statement (authenticateForEnrolment), so that
	// an enrolment is one round trip to the database.
	csrf := s.csrfProtection()
	f.Post("/api/v1/courses/:id/enrollments", csrf, s.authenticateForEnrolment, s.requireSignIn, s.onCourseAskingWhyLater(workers), s.apiEnroll)
	f.Use(csrf, s.authenticate, s.requireSignIn)
	api := f.Group("/api/v1")

	// Accounts: the first administrator, signing in and out, the language,
	// who am I.
	f.Get("/setup", s.setupPage)
	f.Post("/setup", s.setup)
	f.Get("/login", s.loginPage)
	f.Post("/login", s.login)
	f.Post("/logout", s.logout)
	f.Post("/language", s.switchLanguage)
	f.Get("/", s.home)
	f.Get("/api/me", s.apiMe)

	// Users.
	f.Get("/users", s.allow(admins), s.listUsers)
	f.Get("/users/new", s.allow(admins), s.newUserPage)
	f.Post("/users", s.allow(admins), s.createUser)
	f.Get("/users/:id<int>", s.allow(admins), s.userPage)
	f.Post("/users/:id<int>/role", s.allow(admins), s.changeUserRole)
	f.Post("/users/:id<int>/password", s.allow(admins), s.resetUserPassword)
	f.Post("/users/:id<int>/active", s.allow(admins), s.setUserActive)
	f.Get("/api/users", s.allow(admins), s.apiUsers)

	// Programmes.
	f.Get("/programmes", s.allow(coordinators), s.programmesPage)
	f.Post("/programmes", s.allow(coordinators), s.createProgramme)
	api.Get("/programmes", s.allow(everyone), s.apiListProgrammes)
	api.Post("/programmes", s.allow(coordinators), s.apiCreateProgramme)
	// The curriculum: a programme's modules and its courses' modules
	// (pages_curriculum.go); who completed the whole path, for the figures' readers.
	f.Get("/programmes/:id<int>/modules", s.allow(coordinators), s.modulesPage)
	f.Post("/programmes/:id<int>/modules", s.allow(coordinators), s.createModuleForm)
	f.Get("/programmes/:id<int>/modules/:module_id<int>", s.allow(coordinators), s.editModulePage)
	f.Post("/programmes/:id<int>/modules/:module_id<int>", s.allow(coordinators), s.updateModuleForm)
	f.Post("/programmes/:id<int>/course-module", s.allow(coordinators), s.setCourseModuleForm)
	api.Get("/programmes/:id/modules", s.allow(everyone), s.apiModules)
	api.Post("/programmes/:id/modules", s.allow(coordinators), s.apiCreateModule)
	api.Patch("/modules/:id", s.allow(coordinators), s.apiUpdateModule)
	api.Put("/courses/:id/module", s.onCourseAsIs(coordinators), s.apiSetCourseModule)
	api.Get("/programmes/:id/completion", s.allow(readers), s.apiProgrammeCompletion)

	// Courses: set up by coordinators, worked on by their trainers.
	f.Get("/courses", s.allow(workers), s.coursesPage)
	f.Get("/courses/new", s.allow(coordinators), s.newCoursePage)
	f.Post("/courses", s.allow(coordinators), s.createCourse)
	f.Get("/courses/:id<int>", s.onCourse(workers), s.coursePage)
	f.Get("/courses/:id<int>/edit", s.onCourse(coordinators), s.editCoursePage)
	f.Post("/courses/:id<int>", s.onCourse(coordinators), s.updateCourse)
	f.Post("/courses/:id<int>/sessions", s.onCourse(coordinators), s.addSessions)
	f.Post("/courses/:id<int>/trainers", s.onCourse(coordinators), s.assignTrainerForm)
	f.Post("/courses/:id<int>/trainers/:user_id<int>/remove", s.onCourse(coordinators), s.unassignTrainerForm)
	f.Post("/courses/:id<int>/close", s.onCourseAsIs(coordinators), s.closeCourseForm)
	f.Post("/courses/:id<int>/reopen", s.onCourseAsIs(coordinators), s.reopenCourseForm)
	api.Get("/courses", s.allow(workers), s.apiListCourses)
	api.Post("/courses", s.allow(coordinators), s.apiCreateCourse)
	api.Get("/courses/:id", s.onCourse(workers), s.apiGetCourse)
	api.Patch("/courses/:id", s.onCourse(coordinators), s.apiPatchCourse)
	api.Post("/courses/:id/sessions", s.onCourse(coordinators), s.apiCreateSessions)
	api.Get("/courses/:id/roster", s.onCourse(workers), s.apiRoster)
	api.Post("/courses/:id/trainers", s.onCourse(coordinators), s.apiAssignTrainer)
	api.Delete("/courses/:id/trainers/:user_id", s.onCourse(coordinators), s.apiUnassignTrainer)
	api.Post("/courses/:id/close", s.onCourseAsIs(coordinators), s.apiCloseCourse)
	api.Post("/courses/:id/reopen", s.onCourseAsIs(coordinators), s.apiReopenCourse)
	api.Get("/courses/:id/closings", s.onCourse(coordinators), s.apiCourseClosings)

	// Enrolment: a course's people.
	f.Get("/courses/:id<int>/enrol", s.onCourse(workers), s.enrolPage)
	f.Post("/courses/:id<int>/enrollments", s.onCourse(workers), s.enrolForm)
	f.Post("/courses/:id<int>/enrollments/:trainee_id<int>/withdraw", s.onCourse(workers), s.withdrawForm)
	// POST /api/v1/courses/:id/enrollments: above, before the sign-in middleware.
	api.Delete("/courses/:id/enrollments/:trainee_id", s.onCourse(workers), s.apiWithdraw)
	// What an enrolment counts the person as: a coordinator's correction.
	// It states its own reason, also on a closed course: onCourseAsIs.
	f.Get("/courses/:id<int>/enrollments/:trainee_id<int>/correct", s.onCourse(coordinators), s.correctionPage)
	f.Post("/courses/:id<int>/enrollments/:trainee_id<int>/correct", s.onCourseAsIs(coordinators), s.correctEnrolmentForm)
	api.Patch("/courses/:id/enrollments/:trainee_id", s.onCourseAsIs(coordinators), s.apiCorrectEnrolment)

	// Sessions: edited until marked, deleted while unmarked, cancelled with
	// a reason (a trainer for their own courses); attendance and the
	// printed sign-in sheet.
	f.Get("/sessions/:id<int>/edit", s.onSession(workers), s.editSessionPage)
	f.Post("/sessions/:id<int>", s.onSession(workers), s.updateSessionForm)
	f.Post("/sessions/:id<int>/cancel", s.onSession(workers), s.cancelSessionForm)
	f.Post("/sessions/:id<int>/delete", s.onSession(coordinators), s.deleteSessionForm)
	api.Patch("/sessions/:id", s.onSession(workers), s.apiPatchSession)
	api.Post("/sessions/:id/cancel", s.onSession(workers), s.apiCancelSession)
	api.Delete("/sessions/:id", s.onSession(coordinators), s.apiDeleteSession)
	f.Get("/sessions/:id<int>/attendance", s.onSession(workers), s.attendancePage)
	f.Post("/sessions/:id<int>/attendance", s.onSession(workers), s.saveAttendanceForm)
	f.Get("/sessions/:id<int>/sign-in-sheet", s.onSession(workers), s.signInSheetPage)
	api.Get("/sessions/:id/attendance", s.onSession(workers), s.apiGetAttendance)
	api.Put("/sessions/:id/attendance", s.onSession(workers), s.apiPutAttendance)
	// Check-in at the door: a badge's code scanned or typed (pages_checkin.go),
	// and the badges printed per course.
	f.Get("/sessions/:id<int>/checkin", s.onSession(workers), s.checkinPage)
	f.Post("/sessions/:id<int>/checkin", s.onSession(workers), s.checkinForm)
	api.Post("/sessions/:id/checkin", s.onSession(workers), s.apiCheckin)
	f.Get("/courses/:id<int>/badges", s.onCourse(workers), s.badgesPage)
	// Knowledge scores and satisfaction, per enrolment (pages_outcomes.go).
	f.Get("/courses/:id<int>/scores", s.onCourse(workers), s.scoresPage)
	f.Post("/courses/:id<int>/scores/import", s.onCourse(workers), s.importScoresForm)
	f.Get("/courses/:id<int>/scores/:trainee_id<int>", s.onCourse(workers), s.scorePage)
	f.Post("/courses/:id<int>/scores/:trainee_id<int>", s.onCourse(workers), s.saveScoresForm)
	api.Get("/courses/:id/scores", s.onCourse(workers), s.apiCourseScores)
	api.Post("/courses/:id/scores/import", s.onCourse(workers), s.apiImportScores)
	api.Put("/courses/:id/enrollments/:trainee_id/scores", s.onCourse(workers), s.apiPutScores)
	api.Get("/outcomes", s.allow(readers), s.apiOutcomes)

	// Certificates: issued in bulk by a coordinator, printed one per page;
	// the public page their QR code leads to (no sign-in: isVerifyPath).
	f.Get("/courses/:id<int>/certificates", s.onCourse(coordinators), s.certificatesPage)
	f.Post("/courses/:id<int>/certificates", s.onCourseAsIs(coordinators), s.issueCertificatesForm)
	f.Get("/courses/:id<int>/certificates/:cert_id<int>", s.onCourse(coordinators), s.certificatePage)
	api.Get("/courses/:id/certificates", s.onCourse(coordinators), s.apiCertificates)
	api.Post("/courses/:id/certificates", s.onCourseAsIs(coordinators), s.apiIssueCertificates)
	f.Get("/verify/:code", s.verifyPage)

	// The trainer's app offline (docs/OFFLINE.md): the app's shell, the
	// device's pack of the coming sessions, the sync of its queue, and the
	// coordinators' list of what a sync could not decide alone.
	f.Get("/offline", s.allow(workers), s.offlineAppPage)
	api.Get("/offline/pack", s.allow(workers), s.apiOfflinePack)
	api.Post("/offline/sync", s.allow(workers), s.apiOfflineSync)
	f.Get("/offline/conflicts", s.allow(coordinators), s.conflictsPage)
	f.Post("/offline/conflicts/:id<int>/resolve", s.allow(coordinators), s.resolveConflictForm)
	api.Get("/offline/conflicts", s.allow(coordinators), s.apiOfflineConflicts)
	api.Post("/offline/conflicts/:id/resolve", s.allow(coordinators), s.apiResolveConflict)

	// People: organisations and trainees.
	api.Get("/organisations", s.allow(workers), s.apiListOrganisations)
	api.Post("/organisations", s.allow(workers), s.apiCreateOrganisation)
	api.Get("/trainees", s.allow(workers), s.apiSearchTrainees)
	api.Post("/trainees", s.allow(workers), s.apiCreateTrainee)
	f.Get("/people/:id<int>", s.onTrainee(coordinators), s.personPage)
	// Consents (issue 18): recorded and withdrawn by coordinators; the
	// scan of a signed form never reaches the ministry. A person's data
	// and anonymisation: admins.
	f.Post("/people/:id<int>/consents", s.onTrainee(coordinators), s.recordConsentForm)
	f.Post("/people/:id<int>/consents/:consent_id<int>/withdraw", s.onTrainee(coordinators), s.withdrawConsentForm)
	f.Get("/people/:id<int>/consents/:consent_id<int>/scan", s.onTrainee(coordinators), s.consentScan)
	f.Get("/people/:id<int>/data", s.onTrainee(admins), s.personDataPage)
	f.Get("/people/:id<int>/data.json", s.onTrainee(admins), s.personDataJSON)
	f.Post("/people/:id<int>/anonymise", s.onTrainee(admins), s.anonymisePersonForm)
	api.Get("/trainees/:id", s.onTrainee(workers), s.apiGetTrainee)
	api.Patch("/trainees/:id", s.onTrainee(workers), s.apiPatchTrainee)
	// Likely duplicates, merged and unmerged by coordinators (docs/DUPLICATES.md).
	f.Get("/duplicates", s.allow(coordinators), s.duplicatesPage)
	f.Post("/duplicates/people", s.allow(coordinators), s.mergePeopleForm)
	f.Post("/duplicates/organisations", s.allow(coordinators), s.mergeOrganisationsForm)
	f.Post("/merges/:id<int>/unmerge", s.allow(coordinators), s.unmergeForm)
	api.Get("/duplicates/people", s.allow(coordinators), s.apiDuplicatePeople)
	api.Get("/duplicates/organisations", s.allow(coordinators), s.apiDuplicateOrganisations)
	api.Get("/merges", s.allow(coordinators), s.apiMerges)
	api.Post("/merges", s.allow(coordinators), s.apiMerge)
	api.Post("/merges/:id/unmerge", s.allow(coordinators), s.apiUnmerge)

	// Files of people (attendance, course matrices) and the participant
	// import. The ministry reads aggregates only: it gets none of these.
	// Under /exports/: no request timeout (see withRequestTimeout).
	f.Get("/exports/attendance.csv", s.allow(workers), s.exportAttendance(domain.CSV))
	f.Get("/exports/attendance.xlsx", s.allow(workers), s.exportAttendance(domain.XLSX))
	f.Get("/courses/:id<int>/matrix.csv", s.onCourse(workers), s.exportMatrix(domain.CSV))
	f.Get("/courses/:id<int>/matrix.xlsx", s.onCourse(workers), s.exportMatrix(domain.XLSX))
	// Any signed-in user: the separator of their CSV files (totals included).
	f.Post("/preferences/csv-separator", s.saveCSVSeparator)
	f.Get("/imports", s.allow(workers), s.importPage)
	f.Post("/imports", s.allow(workers), s.importForm)
	api.Post("/imports/trainees", s.allow(workers), s.apiImportTrainees)
	f.Get("/imports/template.xlsx", s.allow(workers), s.importTemplate)
	f.Get("/imports/jobs/:id<int>", s.allow(workers), s.importJobPage)
	f.Get("/imports/jobs/:id<int>/errors", s.allow(workers), s.importJobErrors)
	api.Get("/imports/template.xlsx", s.allow(workers), s.importTemplate)
	api.Get("/imports/jobs/:id<int>", s.allow(workers), s.apiImportJobStatus)
	api.Get("/imports/jobs/:id<int>/errors", s.allow(workers), s.importJobErrors)

	// The ministry's figures: aggregates, so the ministry reads them; only
	// coordinators record what a published report states.
	f.Get("/dashboard", s.allow(readers), s.dashboardPage)
	f.Get("/exports/totals.csv", s.allow(readers), s.exportTotals(domain.CSV))
	f.Get("/exports/totals.xlsx", s.allow(readers), s.exportTotals(domain.XLSX))
	api.Get("/totals", s.allow(readers), s.apiTotals)
	f.Get("/dashboard/reported", s.allow(coordinators), s.reportedPage)
	f.Post("/dashboard/reported", s.allow(coordinators), s.createReported)
	f.Post("/dashboard/reported/:id<int>/delete", s.allow(coordinators), s.deleteReported)
	// Indicators with targets (docs/INDICATORS.md): defined by coordinators,
	// read with their target, recorded and reported values, and exported for
	// donors' systems (IATI, ADX) with the same suppression as the totals.
	f.Get("/dashboard/indicators", s.allow(coordinators), s.indicatorsPage)
	f.Post("/dashboard/indicators", s.allow(coordinators), s.createIndicatorForm)
	f.Post("/dashboard/indicators/:id<int>/delete", s.allow(coordinators), s.deleteIndicatorForm)
	api.Get("/indicators", s.allow(readers), s.apiIndicators)
	api.Post("/indicators", s.allow(coordinators), s.apiCreateIndicator)
	f.Get("/exports/indicators.iati.xml", s.allow(readers), s.exportIndicatorsIATI)
	f.Get("/exports/indicators.adx.xml", s.allow(readers), s.exportIndicatorsADX)

	// The audit log: every change, who made it, before and after. It shows
	// people's data: coordinators and admins only.
	f.Get("/audit", s.allow(coordinators), s.auditPage)
}

// admits reports whether u may pass the guard.
func (rs roles) admits(u *domain.User) bool {
	return u != nil && (u.Role == domain.RoleAdmin || slices.Contains(rs, u.Role))
}

// hidden is the refusal that looks like an object that does not exist.
var hidden = fmt.Errorf("hidden from this user: %w", domain.ErrNotFound)

// objectRefusal is what a route naming an object tells a role the guard
// keeps out. Where trainers are let in, access depends on the object (a
// trainer's own courses): the others are told 404, as a trainer asking for
// another trainer's course is, so that no role learns which ids exist.
// Where only coordinators are, the role alone decides: 403.
func (rs roles) objectRefusal() error {
	if slices.Contains(rs, domain.RoleTrainer) {
		return hidden
	}
	return domain.ErrForbidden
}

// allow is the guard of a route that names nothing: the roles of rs pass,
// the others get 403. The handler's own errors pass through unchanged.
func (s *Server) allow(rs roles) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !rs.admits(currentUser(c)) {
			return domain.ErrForbidden
		}
		return c.Next()
	}
}

// c.Locals keys of the objects a guard let through.
const (
	scopeKey   = "scope"      // repository.Scope of the signed-in user
	courseKey  = "course"     // *checkedCourse
	sessionKey = "session"    // *domain.Session
	traineeKey = "trainee_id" // int64
)

// checkedCourse is a course onCourse let through: its id, and the course
// once loaded (Server.course).
type checkedCourse struct {
	id     int64
	course *domain.Course
}

// onCourse is the guard of a route that names a course (:id): the roles of
// rs pass (the others: objectRefusal), and only for a course in the user's
// scope (a trainer's own courses; another is 404, as an id that does not
// exist). The handler reads the course with s.course(c), or only its id
// with courseID(c): the enrolment, the busiest write, is one statement that
// needs no more.
func (s *Server) onCourse(rs roles) fiber.Handler { return s.courseGuard(rs, askWhy) }

// onCourseAsIs is onCourse for closing and reopening the course: they
// change its state, not what a closed course protects.
func (s *Server) onCourseAsIs(rs roles) fiber.Handler { return s.courseGuard(rs, asIs) }

// onCourseAskingWhyLater is onCourse for the enrolment API, whose statement
// is refused by the database on a closed course: the guard does not read
// the course first, and the handler turns that refusal into the question a
// coordinator is asked (closedNeedsReason).
func (s *Server) onCourseAskingWhyLater(rs roles) fiber.Handler {
	return s.courseGuard(rs, askWhyLater)
}

// closedCourse is how a course guard treats a write on a closed course.
type closedCourse int

const (
	asIs        closedCourse = iota // closing and reopening: no question
	askWhy                          // a coordinator's write needs a reason (allowCorrection)
	askWhyLater                     // askWhy, known from the handler's own statement
)

// courseGuard is onCourse; a write on a closed course is let through as
// a correction (allowCorrection) unless closed is asIs.
func (s *Server) courseGuard(rs roles, closed closedCourse) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !rs.admits(currentUser(c)) {
			return rs.objectRefusal()
		}
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		if err := s.mayReadCourse(c, id); err != nil {
			return err
		}
		c.Locals(courseKey, &checkedCourse{id: id})
		if closed != asIs {
			if err := s.allowCorrection(c, closed == askWhyLater); err != nil {
				return err
			}
		}
		return c.Next()
	}
}

// onSession is the guard of a route that names a session (:id): as
// onCourse, for the session's course. The handler reads the session with
// sessionOf(c) and its course with s.course(c).
func (s *Server) onSession(rs roles) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !rs.admits(currentUser(c)) {
			return rs.objectRefusal()
		}
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		session, err := s.store.Session(c.UserContext(), id)
		if err != nil {
			return err
		}
		if err := s.mayReadCourse(c, session.CourseID); err != nil {
			return err
		}
		c.Locals(sessionKey, session)
		c.Locals(courseKey, &checkedCourse{id: session.CourseID})
		if err := s.allowCorrection(c, false); err != nil {
			return err
		}
		return c.Next()
	}
}

// onTrainee is the guard of a route that names a person (:id): the roles
// of rs pass (the others: objectRefusal), coordinators and admins for
// anyone, trainers for the people currently enrolled (not withdrawn) in one
// of their courses; anyone else is 404, so that a person's existence does
// not leak. The handler reads the id with traineeID(c).
func (s *Server) onTrainee(rs roles) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !rs.admits(currentUser(c)) {
			return rs.objectRefusal()
		}
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		scope, err := s.scope(c)
		if err != nil {
			return err
		}
		if !scope.All() {
			reach, err := s.store.TraineeReach(c.UserContext(), id, scope)
			if err != nil {
				return err
			}
			if !reach.Reachable {
				return hidden
			}
		}
		c.Locals(traineeKey, id)
		return c.Next()
	}
}

// mayReadCourse refuses, as if it did not exist, a course outside the
// user's scope.
func (s *Server) mayReadCourse(c *fiber.Ctx, courseID int64) error {
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	if !scope.Allows(courseID) {
		return fmt.Errorf("course %d outside the scope of user %d: %w", courseID, currentUser(c).ID, hidden)
	}
	return nil
}

// scope is the signed-in user's repository.Scope, read once per request:
// the one answer to "which courses may this user see".
func (s *Server) scope(c *fiber.Ctx) (repository.Scope, error) {
	if scope, ok := c.Locals(scopeKey).(repository.Scope); ok {
		return scope, nil
	}
	scope, err := s.store.ScopeFor(c.UserContext(), currentUser(c))
	if err != nil {
		return repository.Scope{}, err
	}
	c.Locals(scopeKey, scope)
	return scope, nil
}

// course is the course onCourse or onSession let through, loaded on first
// use (a course that does not exist is domain.ErrNotFound).
func (s *Server) course(c *fiber.Ctx) (*domain.Course, error) {
	checked := c.Locals(courseKey).(*checkedCourse)
	if checked.course == nil {
		course, err := s.store.Course(c.UserContext(), checked.id)
		if err != nil {
			return nil, err
		}
		checked.course = course
	}
	return checked.course, nil
}

// courseID is the id of the course onCourse or onSession let through.
func courseID(c *fiber.Ctx) int64 { return c.Locals(courseKey).(*checkedCourse).id }

// sessionOf is the session onSession let through.
func sessionOf(c *fiber.Ctx) *domain.Session { return c.Locals(sessionKey).(*domain.Session) }

// traineeID is the id of the person onTrainee let through.
func traineeID(c *fiber.Ctx) int64 { return c.Locals(traineeKey).(int64) }

// mayEnrolExisting lets a trainer enrol an existing person by id, except a
// minor they could not have found: a child outside their own courses stays
// out of their reach (a coordinator enrols them). Others pass; an unknown
// id is left to the enrolment to refuse.
func (s *Server) mayEnrolExisting(c *fiber.Ctx, traineeID int64) error {
	scope, err := s.scope(c)
	if err != nil || scope.All() {
		return err
	}
	reach, err := s.store.TraineeReach(c.UserContext(), traineeID, scope)
	if err != nil {
		return err
	}
	if reach.Minor && !reach.Reachable {
		return hidden
	}
	return nil
}

// actor is the signed-in user as the acting user of a store call: the last
// argument of every store method that changes something, audited with it.
func actor(c *fiber.Ctx) *int64 { return userIDOf(currentUser(c)) }

// userIDOf is u's id as the acting user of a store call (nil for none).
func userIDOf(u *domain.User) *int64 {
	if u == nil {
		return nil
	}
	return &u.ID
}
