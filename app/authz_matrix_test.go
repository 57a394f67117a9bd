package app_test

// The route × role matrix: EVERY route registered in the application must
// have an entry here, saying what each role and an anonymous visitor get.
// A route without an entry fails TestRouteRoleMatrix, so adding a route
// means deciding (and testing) who may use it.
//
// To add a route: add `"METHOD /path/as/registered": {url: ..., want: ...}`.
//   - url is the concrete URL to request; "{user}" becomes the id of a
//     target user, "{course}" the id of a course assigned to trainer@ (add
//     fixtures to newMatrixFixture when you need others).
//   - form is the POST body; the CSRF token is added for you.
//   - want gives the status per principal: anonymous, admin, coordinator,
//     trainer, ministry. Helpers: pages(…) and api(…) fill in the anonymous
//     answer (303 to /login for pages, 401 for the API).
//   - HEAD routes (Fiber adds one for each GET) use their GET entry.

import (
	"context"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"takaffoul/domain"
)

type matrixEntry struct {
	url        string
	form       url.Values
	json       string // a JSON body, sent with the method of the route
	want       map[string]int
	ownSession bool // the request ends the session (logout): use a session of its own
}

const (
	anonymous   = "anonymous"
	admin       = "admin"
	coordinator = "coordinator"
	trainer     = "trainer"
	ministry    = "ministry"
)

var principals = []string{anonymous, admin, coordinator, trainer, ministry}

// everyone answers status to every principal.
func everyone(status int) map[string]int {
	return map[string]int{anonymous: status, admin: status, coordinator: status, trainer: status, ministry: status}
}

// pages: a page for signed-in users; anonymous visitors are sent to /login.
func pages(adminS, coordinatorS, trainerS, ministryS int) map[string]int {
	return map[string]int{anonymous: 303, admin: adminS, coordinator: coordinatorS, trainer: trainerS, ministry: ministryS}
}

// api: an API route; anonymous callers get 401.
func api(adminS, coordinatorS, trainerS, ministryS int) map[string]int {
	return map[string]int{anonymous: 401, admin: adminS, coordinator: coordinatorS, trainer: trainerS, ministry: ministryS}
}

var authzMatrix = map[string]matrixEntry{
	// Public.
	"GET /healthz":  {url: "/healthz", want: everyone(200)},
	"GET /readyz":   {url: "/readyz", want: everyone(200)},
	"GET /static/*": {url: "/static/app.css", want: everyone(200)},
	"GET /login":    {url: "/login", want: map[string]int{anonymous: 200, admin: 303, coordinator: 303, trainer: 303, ministry: 303}},
	"POST /login": {url: "/login", form: url.Values{"email": {"nobody@example.ma"}, "password": {"not-the-password"}},
		want: everyone(401)},
	"POST /language": {url: "/language", form: url.Values{"lang": {"ar"}, "next": {"/"}}, want: everyone(303)},
	// The first-run setup, once accounts exist: it leads to the login page.
	"GET /setup":  {url: "/setup?token=not-the-secret", want: everyone(303)},
	"POST /setup": {url: "/setup", form: url.Values{"token": {"x"}, "email": {"new.admin@example.ma"}}, want: everyone(303)},

	// Any signed-in user.
	"GET /":        {url: "/", want: pages(200, 200, 200, 200)},
	"POST /logout": {url: "/logout", want: everyone(303), ownSession: true},
	"GET /api/me":  {url: "/api/me", want: api(200, 200, 200, 200)},
	// The separator of the user's CSV files (issue 15).
	"POST /preferences/csv-separator": {url: "/preferences/csv-separator", form: url.Values{"separator": {"semicolon"}, "next": {"/"}},
		want: pages(303, 303, 303, 303)},

	// Admins: users.
	"GET /users":     {url: "/users", want: pages(200, 403, 403, 403)},
	"GET /users/new": {url: "/users/new", want: pages(200, 403, 403, 403)},
	"POST /users": {url: "/users", form: url.Values{"email": {"new.user@example.ma"}, "name": {"New User"},
		"role": {"trainer"}, "language": {"fr"}, "password": {"a-long-enough-password"}}, want: pages(303, 403, 403, 403)},
	"GET /users/:id<int>":           {url: "/users/{user}", want: pages(200, 403, 403, 403)},
	"POST /users/:id<int>/role":     {url: "/users/{user}/role", form: url.Values{"role": {"coordinator"}}, want: pages(303, 403, 403, 403)},
	"POST /users/:id<int>/password": {url: "/users/{user}/password", form: url.Values{"password": {"another-long-password"}}, want: pages(303, 403, 403, 403)},
	"POST /users/:id<int>/active":   {url: "/users/{user}/active", form: url.Values{"active": {"false"}}, want: pages(303, 403, 403, 403)},
	"GET /api/users":                {url: "/api/users", want: api(200, 403, 403, 403)},

	// The ministry's figures: aggregates, read by coordinators and the
	// ministry; reported figures are recorded by coordinators only.
	"GET /api/v1/totals":       {url: "/api/v1/totals?programme=child-protection", want: api(200, 200, 403, 200)},
	"GET /dashboard":           {url: "/dashboard?year=2019", want: pages(200, 200, 403, 200)},
	"GET /exports/totals.csv":  {url: "/exports/totals.csv", want: pages(200, 200, 403, 200)},
	"GET /exports/totals.xlsx": {url: "/exports/totals.xlsx?programme=child-protection", want: pages(200, 200, 403, 200)},
	"GET /dashboard/reported":  {url: "/dashboard/reported", want: pages(200, 200, 403, 403)},
	"POST /dashboard/reported": {url: "/dashboard/reported", form: url.Values{"figure": {"courses"}},
		want: pages(422, 422, 403, 403)},
	"POST /dashboard/reported/:id<int>/delete": {url: "/dashboard/reported/999999/delete", want: pages(404, 404, 403, 403)},
	// Indicators: defined by coordinators, read (and exported) by the
	// ministry too. On this database there is none: the files are 404.
	"GET /dashboard/indicators":                  {url: "/dashboard/indicators", want: pages(200, 200, 403, 403)},
	"POST /dashboard/indicators":                 {url: "/dashboard/indicators", form: url.Values{"figure": {"courses"}}, want: pages(422, 422, 403, 403)},
	"POST /dashboard/indicators/:id<int>/delete": {url: "/dashboard/indicators/999999/delete", want: pages(404, 404, 403, 403)},
	"GET /api/v1/indicators":                     {url: "/api/v1/indicators", want: api(200, 200, 403, 200)},
	"POST /api/v1/indicators":                    {url: "/api/v1/indicators", json: `{}`, want: api(422, 422, 403, 403)},
	"GET /exports/indicators.iati.xml":           {url: "/exports/indicators.iati.xml", want: pages(404, 404, 403, 404)},
	"GET /exports/indicators.adx.xml":            {url: "/exports/indicators.adx.xml?programme=child-protection", want: pages(404, 404, 403, 404)},

	// Likely duplicates: coordinators merge and unmerge; trainers cannot (403).
	"GET /duplicates": {url: "/duplicates", want: pages(200, 200, 403, 403)},
	"POST /duplicates/people": {url: "/duplicates/people", form: url.Values{"kept_id": {"999998"}, "removed_id": {"999999"}},
		want: pages(404, 404, 403, 403)},
	"POST /duplicates/organisations": {url: "/duplicates/organisations", form: url.Values{"kept_id": {"999998"}, "removed_id": {"999999"}},
		want: pages(404, 404, 403, 403)},
	"POST /merges/:id<int>/unmerge":        {url: "/merges/999999/unmerge", want: pages(404, 404, 403, 403)},
	"GET /api/v1/duplicates/people":        {url: "/api/v1/duplicates/people", want: api(200, 200, 403, 403)},
	"GET /api/v1/duplicates/organisations": {url: "/api/v1/duplicates/organisations", want: api(200, 200, 403, 403)},
	"GET /api/v1/merges":                   {url: "/api/v1/merges", want: api(200, 200, 403, 403)},
	"POST /api/v1/merges": {url: "/api/v1/merges", json: `{"entity": "trainee", "kept_id": 999998, "removed_id": 999999}`,
		want: api(404, 404, 403, 403)},
	"POST /api/v1/merges/:id/unmerge": {url: "/api/v1/merges/999999/unmerge", want: api(404, 404, 403, 403)},

	// The trainer's app offline: the shell and the pack for workers, the
	// coordinators' list of conflicts for coordinators.
	"GET /offline":              {url: "/offline", want: pages(200, 200, 200, 403)},
	"GET /api/v1/offline/pack":  {url: "/api/v1/offline/pack", want: api(200, 200, 200, 403)},
	"POST /api/v1/offline/sync": {url: "/api/v1/offline/sync", json: `{"changes": []}`, want: api(200, 200, 200, 403)},
	"GET /offline/conflicts":    {url: "/offline/conflicts", want: pages(200, 200, 403, 403)},
	"POST /offline/conflicts/:id<int>/resolve": {url: "/offline/conflicts/999999/resolve", form: url.Values{"choice": {"device"}},
		want: pages(404, 404, 403, 403)},
	"GET /api/v1/offline/conflicts": {url: "/api/v1/offline/conflicts", want: api(200, 200, 403, 403)},
	"POST /api/v1/offline/conflicts/:id/resolve": {url: "/api/v1/offline/conflicts/999999/resolve", json: `{"choice": "device"}`,
		want: api(404, 404, 403, 403)},

	// Pages of programmes, courses, enrolment and attendance. Forms are sent
	// incomplete where that is possible, for the same reason as below.
	"GET /programmes":                                      {url: "/programmes", want: pages(200, 200, 403, 403)},
	"POST /programmes":                                     {url: "/programmes", form: url.Values{"code": {"x"}}, want: pages(422, 422, 403, 403)},
	"GET /programmes/:id<int>/modules":                     {url: "/programmes/{programme}/modules", want: pages(200, 200, 403, 403)},
	"POST /programmes/:id<int>/modules":                    {url: "/programmes/{programme}/modules", form: url.Values{"year": {"9"}}, want: pages(422, 422, 403, 403)},
	"GET /programmes/:id<int>/modules/:module_id<int>":     {url: "/programmes/{programme}/modules/999999", want: pages(404, 404, 403, 403)},
	"POST /programmes/:id<int>/modules/:module_id<int>":    {url: "/programmes/{programme}/modules/999999", form: url.Values{"year": {"1"}}, want: pages(404, 404, 403, 403)},
	"POST /programmes/:id<int>/course-module":              {url: "/programmes/{programme}/course-module", form: url.Values{"course_id": {"999999"}}, want: pages(404, 404, 403, 403)},
	"GET /courses":                                         {url: "/courses", want: pages(200, 200, 200, 403)},
	"GET /courses/new":                                     {url: "/courses/new", want: pages(200, 200, 403, 403)},
	"POST /courses":                                        {url: "/courses", form: url.Values{"code": {"x"}}, want: pages(422, 422, 403, 403)},
	"GET /courses/:id<int>":                                {url: "/courses/{course}", want: pages(200, 200, 200, 404)},
	"GET /courses/:id<int>/edit":                           {url: "/courses/{course}/edit", want: pages(200, 200, 403, 403)},
	"POST /courses/:id<int>":                               {url: "/courses/{course}", form: url.Values{"capacity": {"0"}}, want: pages(422, 422, 403, 403)},
	"POST /courses/:id<int>/sessions":                      {url: "/courses/{course}/sessions", form: url.Values{"count": {"0"}}, want: pages(422, 422, 403, 403)},
	"POST /courses/:id<int>/trainers":                      {url: "/courses/{course}/trainers", form: url.Values{"user_id": {"abc"}}, want: pages(422, 422, 403, 403)},
	"GET /courses/:id<int>/enrol":                          {url: "/courses/{course}/enrol?q=fatima", want: pages(200, 200, 200, 404)},
	"POST /courses/:id<int>/enrollments":                   {url: "/courses/{course}/enrollments", form: url.Values{"category": {"x"}}, want: pages(422, 422, 422, 404)},
	"POST /courses/:id<int>/trainers/:user_id<int>/remove": {url: "/courses/{course}/trainers/{user}/remove", want: pages(404, 404, 403, 403)},
	"POST /courses/:id<int>/enrollments/:trainee_id<int>/withdraw": {url: "/courses/{course}/enrollments/{user}/withdraw",
		want: pages(404, 404, 404, 404)},
	"GET /courses/:id<int>/enrollments/:trainee_id<int>/correct": {url: "/courses/{course}/enrollments/{user}/correct",
		want: pages(404, 404, 403, 403)},
	"POST /courses/:id<int>/enrollments/:trainee_id<int>/correct": {url: "/courses/{course}/enrollments/{user}/correct",
		form: url.Values{"category": {"x"}}, want: pages(404, 404, 403, 403)},
	"GET /sessions/:id<int>/attendance":  {url: "/sessions/{session}/attendance", want: pages(200, 200, 200, 404)},
	"POST /sessions/:id<int>/attendance": {url: "/sessions/{session}/attendance", want: pages(303, 303, 303, 404)},

	// Exports, sign-in sheets and imports: no ministry (aggregates only).
	// Imports are sent without a file: 422 for roles let in.
	"GET /exports/attendance.csv":          {url: "/exports/attendance.csv", want: pages(200, 200, 200, 403)},
	"GET /exports/attendance.xlsx":         {url: "/exports/attendance.xlsx?course={course}", want: pages(200, 200, 200, 403)},
	"GET /courses/:id<int>/matrix.csv":     {url: "/courses/{course}/matrix.csv", want: pages(200, 200, 200, 404)},
	"GET /courses/:id<int>/matrix.xlsx":    {url: "/courses/{course}/matrix.xlsx", want: pages(200, 200, 200, 404)},
	"GET /sessions/:id<int>/sign-in-sheet": {url: "/sessions/{session}/sign-in-sheet", want: pages(200, 200, 200, 404)},
	// Check-in at the door (issue 17): a malformed code changes nothing (422).
	"GET /sessions/:id<int>/checkin":                {url: "/sessions/{session}/checkin", want: pages(200, 200, 200, 404)},
	"POST /sessions/:id<int>/checkin":               {url: "/sessions/{session}/checkin", form: url.Values{"code": {"?"}}, want: pages(422, 422, 422, 404)},
	"POST /api/v1/sessions/:id/checkin":             {url: "/api/v1/sessions/{session}/checkin", json: `{"code": "?"}`, want: api(422, 422, 422, 404)},
	"GET /courses/:id<int>/badges":                  {url: "/courses/{course}/badges", want: pages(200, 200, 200, 404)},
	"GET /courses/:id<int>/scores":                  {url: "/courses/{course}/scores", want: pages(200, 200, 200, 404)},
	"GET /courses/:id<int>/scores/:trainee_id<int>": {url: "/courses/{course}/scores/{trainee}", want: pages(200, 200, 200, 404)},
	"POST /courses/:id<int>/scores/:trainee_id<int>": {url: "/courses/{course}/scores/{trainee}", form: url.Values{"pre_score": {"101"}},
		want: pages(422, 422, 422, 404)},
	"POST /courses/:id<int>/scores/import":                   {url: "/courses/{course}/scores/import", form: url.Values{}, want: pages(422, 422, 422, 404)},
	"GET /api/v1/courses/:id/scores":                         {url: "/api/v1/courses/{course}/scores", want: api(200, 200, 200, 404)},
	"POST /api/v1/courses/:id/scores/import":                 {url: "/api/v1/courses/{course}/scores/import", json: `{}`, want: api(422, 422, 422, 404)},
	"PUT /api/v1/courses/:id/enrollments/:trainee_id/scores": {url: "/api/v1/courses/{course}/enrollments/{trainee}/scores", json: `{"pre_score": 101}`, want: api(422, 422, 422, 404)},
	"GET /api/v1/outcomes":                                   {url: "/api/v1/outcomes?programme=child-protection", want: api(200, 200, 403, 200)},
	// Certificates: a coordinator's; their verify page is anyone's.
	"GET /courses/:id<int>/certificates":               {url: "/courses/{course}/certificates", want: pages(200, 200, 403, 403)},
	"POST /courses/:id<int>/certificates":              {url: "/courses/{course}/certificates", want: pages(303, 303, 403, 403)},
	"GET /courses/:id<int>/certificates/:cert_id<int>": {url: "/courses/{course}/certificates/999999", want: pages(404, 404, 403, 403)},
	"GET /api/v1/courses/:id/certificates":             {url: "/api/v1/courses/{course}/certificates", want: api(200, 200, 403, 403)},
	"POST /api/v1/courses/:id/certificates":            {url: "/api/v1/courses/{course}/certificates", json: `{}`, want: api(200, 200, 403, 403)},
	"GET /verify/:code":                                {url: "/verify/NOTACODE", want: everyone(404)},
	"GET /imports":                                     {url: "/imports", want: pages(200, 200, 200, 403)},
	"POST /imports":                                    {url: "/imports", form: url.Values{"dry_run": {"on"}}, want: pages(422, 422, 422, 403)},
	"POST /api/v1/imports/trainees":                    {url: "/api/v1/imports/trainees", json: `{}`, want: api(422, 422, 422, 403)},
	// A job is its owner's only: another user's, as one that does not exist, is 404.
	"GET /imports/template.xlsx":               {url: "/imports/template.xlsx", want: pages(200, 200, 200, 403)},
	"GET /imports/jobs/:id<int>":               {url: "/imports/jobs/999999", want: pages(404, 404, 404, 403)},
	"GET /imports/jobs/:id<int>/errors":        {url: "/imports/jobs/999999/errors", want: pages(404, 404, 404, 403)},
	"GET /api/v1/imports/template.xlsx":        {url: "/api/v1/imports/template.xlsx", want: api(200, 200, 200, 403)},
	"GET /api/v1/imports/jobs/:id<int>":        {url: "/api/v1/imports/jobs/999999", want: api(404, 404, 404, 403)},
	"GET /api/v1/imports/jobs/:id<int>/errors": {url: "/api/v1/imports/jobs/999999/errors", want: api(404, 404, 404, 403)},

	// The JSON API of courses, trainees, enrolment and attendance. Writes
	// send invalid bodies: a role allowed in gets 422 (nothing is saved, so
	// the next principal meets the same state), one kept out 403 or 404.
	"GET /api/v1/programmes":                                   {url: "/api/v1/programmes", want: api(200, 200, 200, 200)},
	"POST /api/v1/programmes":                                  {url: "/api/v1/programmes", json: `{}`, want: api(422, 422, 403, 403)},
	"GET /api/v1/programmes/:id/modules":                       {url: "/api/v1/programmes/{programme}/modules", want: api(200, 200, 200, 200)},
	"POST /api/v1/programmes/:id/modules":                      {url: "/api/v1/programmes/{programme}/modules", json: `{}`, want: api(422, 422, 403, 403)},
	"PATCH /api/v1/modules/:id":                                {url: "/api/v1/modules/999999", json: `{}`, want: api(422, 422, 403, 403)},
	"PUT /api/v1/courses/:id/module":                           {url: "/api/v1/courses/{course}/module", json: `{"module_id": 999999}`, want: api(422, 422, 403, 403)},
	"GET /api/v1/programmes/:id/completion":                    {url: "/api/v1/programmes/{programme}/completion", want: api(200, 200, 403, 200)},
	"GET /api/v1/courses":                                      {url: "/api/v1/courses", want: api(200, 200, 200, 403)},
	"POST /api/v1/courses":                                     {url: "/api/v1/courses", json: `{}`, want: api(422, 422, 403, 403)},
	"GET /api/v1/courses/:id":                                  {url: "/api/v1/courses/{course}", want: api(200, 200, 200, 404)},
	"PATCH /api/v1/courses/:id":                                {url: "/api/v1/courses/{course}", json: `{"capacity": 0}`, want: api(422, 422, 403, 403)},
	"POST /api/v1/courses/:id/sessions":                        {url: "/api/v1/courses/{course}/sessions", json: `{}`, want: api(422, 422, 403, 403)},
	"GET /api/v1/courses/:id/roster":                           {url: "/api/v1/courses/{course}/roster", want: api(200, 200, 200, 404)},
	"POST /api/v1/courses/:id/trainers":                        {url: "/api/v1/courses/{course}/trainers", json: `{"user_id": 0}`, want: api(422, 422, 403, 403)},
	"DELETE /api/v1/courses/:id/trainers/:user_id":             {url: "/api/v1/courses/{course}/trainers/{user}", json: ` `, want: api(404, 404, 403, 403)},
	"POST /api/v1/courses/:id/enrollments":                     {url: "/api/v1/courses/{course}/enrollments", json: `{}`, want: api(422, 422, 422, 404)},
	"DELETE /api/v1/courses/:id/enrollments/:trainee_id":       {url: "/api/v1/courses/{course}/enrollments/{user}", json: ` `, want: api(404, 404, 404, 404)},
	"PATCH /api/v1/courses/:id/enrollments/:trainee_id":        {url: "/api/v1/courses/{course}/enrollments/{user}", json: `{}`, want: api(422, 422, 403, 403)},
	"GET /api/v1/organisations":                                {url: "/api/v1/organisations?q=centre", want: api(200, 200, 200, 403)},
	"POST /api/v1/organisations":                               {url: "/api/v1/organisations", json: `{}`, want: api(422, 422, 422, 403)},
	"GET /api/v1/trainees":                                     {url: "/api/v1/trainees?q=fatima", want: api(200, 200, 200, 403)},
	"POST /api/v1/trainees":                                    {url: "/api/v1/trainees", json: `{}`, want: api(422, 422, 422, 403)},
	"GET /people/:id<int>":                                     {url: "/people/{trainee}", want: pages(200, 200, 403, 403)},
	"POST /people/:id<int>/consents":                           {url: "/people/{trainee}/consents", want: pages(422, 422, 403, 403)},
	"POST /people/:id<int>/consents/:consent_id<int>/withdraw": {url: "/people/{trainee}/consents/999999/withdraw", want: pages(404, 404, 403, 403)},
	"GET /people/:id<int>/consents/:consent_id<int>/scan":      {url: "/people/{trainee}/consents/999999/scan", want: pages(404, 404, 403, 403)},
	"GET /people/:id<int>/data":                                {url: "/people/{trainee}/data", want: pages(200, 403, 403, 403)},
	"GET /people/:id<int>/data.json":                           {url: "/people/{trainee}/data.json", want: pages(200, 403, 403, 403)},
	"POST /people/:id<int>/anonymise":                          {url: "/people/{trainee}/anonymise", want: pages(422, 403, 403, 403)},
	"GET /audit":                                               {url: "/audit", want: pages(200, 200, 403, 403)},
	"GET /api/v1/trainees/:id":                                 {url: "/api/v1/trainees/{trainee}", want: api(200, 200, 200, 404)},
	"PATCH /api/v1/trainees/:id":                               {url: "/api/v1/trainees/{trainee}", json: `{"sex": "x"}`, want: api(422, 422, 422, 404)},
	"GET /api/v1/sessions/:id/attendance":                      {url: "/api/v1/sessions/{session}/attendance", want: api(200, 200, 200, 404)},
	"PUT /api/v1/sessions/:id/attendance":                      {url: "/api/v1/sessions/{session}/attendance", json: `[{"trainee_id": 0, "status": "bogus"}]`, want: api(422, 422, 422, 404)},
	// The life of sessions and courses (issue 14): trainers edit and cancel
	// the sessions of their own courses; coordinators delete sessions, close
	// and reopen courses. Closing and deleting are asked of ids that do not
	// exist, so that nothing changes for the next principal.
	"GET /sessions/:id<int>/edit":      {url: "/sessions/{session}/edit", want: pages(200, 200, 200, 404)},
	"POST /sessions/:id<int>":          {url: "/sessions/{session}", form: url.Values{"start_time": {"x"}}, want: pages(422, 422, 422, 404)},
	"POST /sessions/:id<int>/cancel":   {url: "/sessions/{session}/cancel", want: pages(422, 422, 422, 404)},
	"POST /sessions/:id<int>/delete":   {url: "/sessions/999999/delete", want: pages(404, 404, 403, 403)},
	"PATCH /api/v1/sessions/:id":       {url: "/api/v1/sessions/{session}", json: `{"hours": 0}`, want: api(422, 422, 422, 404)},
	"POST /api/v1/sessions/:id/cancel": {url: "/api/v1/sessions/{session}/cancel", json: `{}`, want: api(422, 422, 422, 404)},
	"DELETE /api/v1/sessions/:id":      {url: "/api/v1/sessions/999999", json: ` `, want: api(404, 404, 403, 403)},
	"POST /courses/:id<int>/close":     {url: "/courses/999999/close", want: pages(404, 404, 403, 403)},
	"POST /courses/:id<int>/reopen":    {url: "/courses/{course}/reopen", want: pages(422, 422, 403, 403)},
	"POST /api/v1/courses/:id/close":   {url: "/api/v1/courses/999999/close", json: ` `, want: api(404, 404, 403, 403)},
	"POST /api/v1/courses/:id/reopen":  {url: "/api/v1/courses/{course}/reopen", json: `{}`, want: api(422, 422, 403, 403)},
	"GET /api/v1/courses/:id/closings": {url: "/api/v1/courses/{course}/closings", want: api(200, 200, 403, 403)},
}

type matrixFixture struct {
	ids map[string]int64 // "{user}" → id
}

func TestRouteRoleMatrix(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	fx := matrixFixture{ids: map[string]int64{}}
	emails := map[string]string{}
	for _, role := range domain.Roles {
		email := string(role) + "@matrix.ma"
		addUser(t, store, email, role)
		emails[string(role)] = email
	}
	fx.ids["{user}"] = addUser(t, store, "target@matrix.ma", domain.RoleTrainer).ID
	trainerUser, err := store.UserByEmail(context.Background(), emails[trainer])
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, store, trainerUser.ID)
	fx.ids["{course}"], fx.ids["{session}"], fx.ids["{trainee}"] = w.course.ID, w.session.ID, w.trainee.ID
	fx.ids["{programme}"] = w.programme.ID

	// One signed-in browser per principal, each from its own address (so
	// that the failed logins of the matrix do not throttle one another).
	clients := map[string]*client{}
	for i, p := range principals {
		cl := newClient(t, web)
		cl.ip = "198.51.100." + strconv.Itoa(10+i)
		if p == anonymous {
			cl.get("/login")
		} else {
			cl.login(emails[p], testPassword)
		}
		clients[p] = cl
	}

	routes := web.GetRoutes(true)
	keys := make([]string, 0, len(routes))
	for _, r := range routes {
		keys = append(keys, r.Method+" "+r.Path)
	}
	sort.Strings(keys)
	seen := map[string]bool{}
	for _, key := range keys {
		entryKey := strings.Replace(key, "HEAD ", "GET ", 1)
		entry, ok := authzMatrix[entryKey]
		if !ok {
			t.Errorf("route %q has no entry in authzMatrix (app/authz_matrix_test.go): decide who may use it", key)
			continue
		}
		seen[entryKey] = true
		method, _, _ := strings.Cut(key, " ")
		target := entry.url
		for placeholder, id := range fx.ids {
			target = strings.ReplaceAll(target, placeholder, strconv.FormatInt(id, 10))
		}
		for _, p := range principals {
			want, ok := entry.want[p]
			if !ok {
				t.Errorf("%s: no expected status for %s", key, p)
				continue
			}
			cl := clients[p]
			if entry.ownSession && p != anonymous {
				cl = newClient(t, web)
				cl.ip = clients[p].ip
				cl.login(emails[p], testPassword)
			}
			var got response
			switch {
			case entry.json != "":
				got = cl.sendJSON(method, target, entry.json)
			case method == "GET" || method == "HEAD":
				got = cl.do(method, target, nil, "")
			default:
				form := url.Values{}
				for k, v := range entry.form {
					form[k] = v
				}
				got = cl.post(target, form)
			}
			if got.StatusCode != want {
				t.Errorf("%s as %s (%s): want %d, got %d", key, p, target, want, got.StatusCode)
			}
		}
	}
	for key := range authzMatrix {
		if !seen[key] {
			t.Errorf("authzMatrix has %q but the app registers no such route: remove or fix the entry", key)
		}
	}
	if t.Failed() {
		return
	}
	// The admin's actions really happened, and were audited as theirs.
	var role string
	var active bool
	row := store.DB().QueryRowContext(context.Background(), `SELECT role, active FROM users WHERE id = $1`, fx.ids["{user}"])
	if err := row.Scan(&role, &active); err != nil {
		t.Fatal(err)
	}
	if role != "coordinator" || active {
		t.Fatalf("admin's changes to the target user: role %s active %v", role, active)
	}
}
