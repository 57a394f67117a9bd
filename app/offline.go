package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The trainer's app offline (issue 17, docs/OFFLINE.md): the pack a device
// keeps of the trainer's coming sessions, the sync of its queue, and the
// coordinators' list of what a sync could not decide alone.

// maxChangesPerSync bounds one sync's queue: a day of a few rooms is far
// less; a device with more sends the rest in the next request.
const maxChangesPerSync = 500

// The pack covers the sessions from the day before today (a sheet finished
// late) to a week ahead: the coming days a trainer may spend without network.
const (
	packDaysBefore = 1
	packDaysAfter  = 8
)

// apiOfflinePack answers GET /api/v1/offline/pack: what the device keeps of
// the signed-in trainer's sessions (rosters reduced to names, minors to name
// and birth year, and the marks), the lists the walk-in form needs, the
// user (a queue is sent only by the account that made it) and a fresh CSRF
// token for the sync. Coordinators and admins get no sessions: the pack is
// a trainer's day, not the country's.
func (s *Server) apiOfflinePack(c *fiber.Ctx) error {
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	now := time.Now()
	local := now.In(domain.Casablanca)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, domain.Casablanca)
	sessions := []repository.PackSession{}
	if !scope.All() {
		from := today.AddDate(0, 0, -packDaysBefore)
		to := today.AddDate(0, 0, packDaysAfter)
		if sessions, err = s.store.OfflinePack(c.UserContext(), scope, from, to); err != nil {
			return err
		}
	}
	ctx := c.UserContext()
	institutions, err := s.store.Organisations(ctx, "", domain.Institution, repository.Page{Limit: 50})
	if err != nil {
		return err
	}
	associations, err := s.store.Organisations(ctx, "", domain.Association, repository.Page{Limit: 50})
	if err != nil {
		return err
	}
	checkin, err := s.packCheckin(ctx, sessions)
	if err != nil {
		return err
	}
	courses, err := s.store.OfflineScoreCourses(ctx, packCourses(sessions))
	if err != nil {
		return err
	}
	u := currentUser(c)
	c.Set(fiber.HeaderCacheControl, "no-store") // the device keeps it in IndexedDB, never in an HTTP cache
	return c.JSON(fiber.Map{
		"user":         fiber.Map{"id": u.ID, "name": u.Name},
		"csrf":         csrfToken(c),
		"now":          now.UTC(),
		"today":        today.Format(time.DateOnly),
		"sessions":     sessions,
		"institutions": orgChoices(institutions),
		"associations": orgChoices(associations),
		"checkin":      checkin,
		"courses":      courses,
	})
}

// packCheckinCodes is how the device tells whose badge it scans without the
// server: the key of this pack and the keyed hash of each code of its
// courses' active enrolments (domain.CheckinDigest), never a code itself.
type packCheckinCodes struct {
	Key   string           `json:"key"` // hexadecimal
	Codes []packCheckinRef `json:"codes"`
}

// packCheckinRef is one code's hash and whose it is.
type packCheckinRef struct {
	CourseID  int64  `json:"course_id"`
	TraineeID int64  `json:"trainee_id"`
	Digest    string `json:"digest"`
}

// packCheckin hashes the codes of the sessions' courses under a key drawn
// for this pack: a token and a short code per enrolment (more for a person
// whose enrolments were merged).
func (s *Server) packCheckin(ctx context.Context, sessions []repository.PackSession) (*packCheckinCodes, error) {
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	codes, err := s.store.OfflineCheckinCodes(ctx, packCourses(sessions))
	if err != nil {
		return nil, err
	}
	out := &packCheckinCodes{Key: hex.EncodeToString(key), Codes: make([]packCheckinRef, 0, 2*len(codes))}
	for _, code := range codes {
		for _, c := range []string{code.Token, code.Short} {
			out.Codes = append(out.Codes, packCheckinRef{CourseID: code.CourseID, TraineeID: code.TraineeID, Digest: domain.CheckinDigest(key, c)})
		}
	}
	return out, nil
}

// packCourses are the courses of the pack's sessions, each once: the
// courses whose badges and scores the device keeps.
func packCourses(sessions []repository.PackSession) []int64 {
	seen := map[int64]bool{}
	courses := []int64{}
	for _, ps := range sessions {
		if !seen[ps.CourseID] {
			seen[ps.CourseID] = true
			courses = append(courses, ps.CourseID)
		}
	}
	return courses
}

// orgChoice is an organisation as the walk-in form lists it.
type orgChoice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func orgChoices(orgs []domain.Organisation) []orgChoice {
	out := make([]orgChoice, 0, len(orgs))
	for _, o := range orgs {
		name := ""
		switch {
		case o.NameAr != nil && o.NameFr != nil:
			name = *o.NameAr + " — " + *o.NameFr
		case o.NameAr != nil:
			name = *o.NameAr
		case o.NameFr != nil:
			name = *o.NameFr
		}
		out = append(out, orgChoice{ID: o.ID, Name: name})
	}
	return out
}

// offlineChangeInput is one change of a device's queue as sent. kind "mark":
// session_id, trainee_id (or walkin: the id of the walk-in change of a
// person enrolled on the device), status, base (the mark the device's copy
// showed; null: unmarked), fill_only ("mark all present"), source ("sheet",
// "all_present", "qr": a scan posts the same mark). kind "walkin": course_id
// and person, the fields of the online enrolment form. kind "scores":
// course_id, trainee_id, scores (the five values, as the API's PUT) and
// base (the scores the device's copy showed; null: none entered).
type offlineChangeInput struct {
	ID        string                  `json:"id"`
	Kind      string                  `json:"kind"`
	MadeAt    time.Time               `json:"made_at"`
	SessionID int64                   `json:"session_id"`
	TraineeID int64                   `json:"trainee_id"`
	WalkIn    string                  `json:"walkin"`
	Status    domain.AttendanceStatus `json:"status"`
	Base      json.RawMessage         `json:"base"` // a mark's or the scores', by kind (readBase)
	FillOnly  bool                    `json:"fill_only"`
	After     string                  `json:"after"`
	Source    string                  `json:"source"`
	CourseID  int64                   `json:"course_id"`
	Person    *offlinePerson          `json:"person"`
	Scores    *domain.Scores          `json:"scores"`
}

// readBase reads a change's base into v (a *MarkVersion or *Scores), as
// strictly as the change itself: false for none (null or absent).
func readBase(raw json.RawMessage, v any) (bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return true, dec.Decode(v)
}

// offlinePerson is the enrolment form's new person, as JSON (traineeForm).
type offlinePerson struct {
	Category            domain.Category `json:"category"`
	FullNameAr          *string         `json:"full_name_ar"`
	FullNameLatin       *string         `json:"full_name_latin"`
	Sex                 domain.Sex      `json:"sex"`
	BirthYear           *int            `json:"birth_year"`
	OrganisationID      *int64          `json:"organisation_id"`
	NewOrganisationName *string         `json:"new_organisation_name"`
	Province            *string         `json:"province"`
	Phone               *string         `json:"phone"`
	Email               *string         `json:"email"`
	NationalID          *string         `json:"national_id"`
	GuardianConsent     bool            `json:"guardian_consent"`
	ConsentMethod       string          `json:"consent_method"` // how the guardian consented (signed_form by default)
}

func (p *offlinePerson) form() *traineeForm {
	return &traineeForm{Category: p.Category, FullNameAr: blankless(p.FullNameAr), FullNameLatin: blankless(p.FullNameLatin),
		Sex: p.Sex, BirthYear: p.BirthYear, OrganisationID: p.OrganisationID, NewOrganisationName: blankless(p.NewOrganisationName),
		Province: blankless(p.Province), Phone: blankless(p.Phone), Email: blankless(p.Email), NationalID: blankless(p.NationalID),
		GuardianConsent: p.GuardianConsent, ConsentMethod: p.ConsentMethod}
}

// blankless is nil for an empty string, as a form's empty field is.
func blankless(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// offlineSyncInput is the body of POST /api/v1/offline/sync.
type offlineSyncInput struct {
	Changes []json.RawMessage `json:"changes"`
}

// offlineResult is what the device is told of one change: the store's
// outcome, or "refused" with the sentence (and the fields) that say why.
type offlineResult struct {
	repository.OfflineResult
	Status int               `json:"status,omitempty"`
	Error  string            `json:"error,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

var changeIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// apiOfflineSync answers POST /api/v1/offline/sync with the device's queue,
// in the order made (a walk-in before their marks): each change applied at
// most once (repository.ApplyOfflineChange), each answered on its own. A
// change refused (not the trainer's course, session not open, invalid
// person) is answered "refused" with its reason and changes nothing; the
// others go on. An error of the server's (the database down) answers the
// whole request: the device sends its queue again later, which is safe.
func (s *Server) apiOfflineSync(c *fiber.Ctx) error {
	var in offlineSyncInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if len(in.Changes) > maxChangesPerSync {
		return domain.Invalid("changes", "offline.too_many_changes")
	}
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	results := make([]offlineResult, 0, len(in.Changes))
	for _, raw := range in.Changes {
		res, err := s.applyOfflineChange(c, raw, scope)
		if err != nil {
			a := classify(err)
			if a.status >= 500 || a.status == fiber.StatusUnauthorized {
				return err
			}
			body := s.errorBody(c, a)
			res.Outcome, res.Status, res.Error = "refused", a.status, body["error"].(string)
			if f, ok := body["fields"].(map[string]string); ok {
				res.Fields = f
			}
		}
		results = append(results, res)
	}
	return c.JSON(fiber.Map{"results": results, "now": time.Now().UTC()})
}

// applyOfflineChange reads one change and applies it.
func (s *Server) applyOfflineChange(c *fiber.Ctx, raw json.RawMessage, scope repository.Scope) (offlineResult, error) {
	var in offlineChangeInput
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &id)
		return offlineResult{OfflineResult: repository.OfflineResult{ID: id.ID}}, domain.Invalid("change", "offline.change_unreadable")
	}
	res := offlineResult{OfflineResult: repository.OfflineResult{ID: in.ID}}
	if !changeIDPattern.MatchString(in.ID) {
		return res, domain.Invalid("id", "offline.change_id_invalid")
	}
	if in.MadeAt.IsZero() || in.MadeAt.After(time.Now().Add(24*time.Hour)) {
		in.MadeAt = time.Now() // a device clock far off: the server's time stands in
	}
	ch := repository.OfflineChange{ID: in.ID, MadeAt: in.MadeAt, Payload: raw}
	switch in.Kind {
	case "mark":
		if (in.TraineeID == 0) == (in.WalkIn == "") || (in.WalkIn != "" && !changeIDPattern.MatchString(in.WalkIn)) ||
			(in.After != "" && !changeIDPattern.MatchString(in.After)) {
			return res, domain.Invalid("trainee_id", "offline.change_unreadable")
		}
		var base *repository.MarkVersion
		if ok, err := readBase(in.Base, &base); err != nil || (ok && base == nil) {
			return res, domain.Invalid("change", "offline.change_unreadable")
		}
		ch.Mark = &repository.OfflineMark{SessionID: in.SessionID, TraineeID: in.TraineeID, WalkIn: in.WalkIn,
			Status: in.Status, Base: base, FillOnly: in.FillOnly, After: in.After}
	case "scores":
		sc, err := offlineScores(in)
		if err != nil {
			return res, err
		}
		ch.Scores = sc
	case "walkin":
		w, err := s.offlineWalkIn(c, in, scope)
		if err != nil {
			return res, err
		}
		ch.WalkIn = w
	default:
		return res, domain.Invalid("kind", "offline.change_unreadable")
	}
	out, err := s.store.ApplyOfflineChange(c.UserContext(), ch, scope, actor(c))
	res.OfflineResult = out
	res.ID = in.ID
	return res, err
}

// offlineScores is the scores of a change: a person on record (a walk-in's
// scores are entered once the server has them), the five values and the
// base. Their ranges are checked by the store, as the online save's.
func offlineScores(in offlineChangeInput) (*repository.OfflineScores, error) {
	if in.Scores == nil || in.TraineeID == 0 || in.CourseID == 0 || (in.After != "" && !changeIDPattern.MatchString(in.After)) {
		return nil, domain.Invalid("change", "offline.change_unreadable")
	}
	var base *domain.Scores
	if _, err := readBase(in.Base, &base); err != nil {
		return nil, domain.Invalid("change", "offline.change_unreadable")
	}
	return &repository.OfflineScores{CourseID: in.CourseID, TraineeID: in.TraineeID, Scores: *in.Scores, Base: base, After: in.After}, nil
}

// offlineWalkIn is the walk-in of a change, checked as the online enrolment
// form checks a new person (the same fields, the same rules, minors' ones
// included), with the people on record they look like by the same rules
// as the online form's look-alikes (pageDuplicates).
func (s *Server) offlineWalkIn(c *fiber.Ctx, in offlineChangeInput, scope repository.Scope) (*repository.OfflineWalkIn, error) {
	if in.Person == nil {
		return nil, domain.Invalid("person", "offline.change_unreadable")
	}
	if !scope.Allows(in.CourseID) {
		return nil, repository.ErrNotTrainerOfCourse
	}
	f := in.Person.form()
	t := f.trainee()
	org := f.newOrganisation(t)
	if err := f.validate(t, org, time.Now()); err != nil {
		return nil, err
	}
	t.Normalize()
	matches, err := s.pageDuplicates(c, t)
	if err != nil {
		return nil, err
	}
	w := &repository.OfflineWalkIn{CourseID: in.CourseID, Trainee: t, Organisation: org, Matches: []int64{}}
	for _, m := range matches {
		w.Matches = append(w.Matches, m.ID)
	}
	return w, nil
}

// conflictsData is the coordinators' list.
type conflictsData struct {
	Conflicts []repository.OfflineConflict
}

// conflictsPage lists what syncs could not decide alone: marks changed on
// the server after a device's copy was taken, walk-ins who look like a
// person on record. Each entry shows both sides and asks for a choice.
func (s *Server) conflictsPage(c *fiber.Ctx) error {
	conflicts, err := s.store.OfflineConflicts(c.UserContext(), repository.Page{Limit: 100})
	if err != nil {
		return err
	}
	return s.renderForm(c, "offline/conflicts", &conflictsData{Conflicts: conflicts}, formOf(resolveForm{}), nil)
}

// resolveForm is a choice on an entry of the list.
type resolveForm struct {
	Choice   string `form:"choice"`
	PersonID int64  `form:"person_id"`
}

// resolveConflictForm applies a coordinator's choice.
func (s *Server) resolveConflictForm(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var f resolveForm
	if readForm(c, &f).Check(nil) != nil {
		return domain.Invalid("choice", "offline.choice_unknown")
	}
	if err := s.store.ResolveOfflineConflict(c.UserContext(), id, f.Choice, f.PersonID, actor(c)); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/offline/conflicts", "flash.offline_resolved")
}

// apiOfflineConflicts answers GET /api/v1/offline/conflicts.
func (s *Server) apiOfflineConflicts(c *fiber.Ctx) error {
	page, err := pageOf(c, 50, repository.DefaultPage)
	if err != nil {
		return err
	}
	conflicts, err := s.store.OfflineConflicts(c.UserContext(), page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, conflicts)
}

// resolveInput is the body of POST /api/v1/offline/conflicts/{id}/resolve.
type resolveInput struct {
	Choice   string `json:"choice"`
	PersonID int64  `json:"person_id"`
}

// apiResolveConflict answers POST /api/v1/offline/conflicts/{id}/resolve.
func (s *Server) apiResolveConflict(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in resolveInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.store.ResolveOfflineConflict(c.UserContext(), id, in.Choice, in.PersonID, actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// offlineAppPage is the app's shell (views/pages/offline/app.html): the
// page the service worker keeps and shows, with the network off, for the
// trainer's home and the attendance sheets, drawn from what the device
// keeps in IndexedDB (views/static/offline.js).
func (s *Server) offlineAppPage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.renderForm(c, "offline/app", nil, NewForm(nil), nil)
}

// offlineTextKeys are the sentences views/static/offline.js shows: handed
// to it in the page, in the user's language, since the device may have no
// network to ask for them.
var offlineTextKeys = []string{
	"offline.last_contact", "offline.never_contact", "offline.offline_now", "offline.online_now",
	"offline.send_now", "offline.sending", "offline.logout_clears", "offline.logout_confirm", "offline.sessions",
	"offline.no_sessions", "offline.open_sheet", "offline.not_yet", "offline.cancelled", "offline.saved_here",
	"offline.save", "offline.mark_all_present", "offline.walkin_add", "offline.walkin_added", "offline.walkin_provisional",
	"offline.refused", "offline.back_home", "offline.sign_in_again", "offline.other_account", "offline.kept_for", "offline.nothing_pending",
	"attendance.present", "attendance.late", "attendance.excused", "attendance.absent", "attendance.unmarked",
	"courses.nobody", "category.institutional_actor", "category.associative_actor", "category.child_parliamentarian",
	"field.full_name_ar", "field.full_name_latin", "field.sex", "sex.female", "sex.male", "field.birth_year",
	"field.organisation_id", "field.new_organisation_name", "field.phone", "field.email", "field.national_id",
	"field.guardian_consent", "field.category",
	"offline.checkin_no_copy", "offline.checkin_unknown", "offline.checkin_queued", "checkin.link", "title.sessions.checkin",
	"checkin.present_count", "checkin.camera_denied", "checkin.camera_unsupported", "checkin.scanning", "checkin.network_error",
	"checkin.camera_start", "checkin.camera_stop", "checkin.camera_hint", "checkin.recent", "checkin.type_label",
	"checkin.type_hint", "checkin.submit", "checkin.malformed", "checkin.other_course",
	// the scores page (views/pages/courses/scores.html, score.html) and its conflicts
	"outcomes.title", "outcomes.link", "outcomes.back", "outcomes.nobody", "outcomes.tests_in", "outcomes.tests_partial",
	"outcomes.tests_none", "outcomes.rated", "outcomes.score_hint", "outcomes.rating_hint", "outcomes.not_given",
	"outcomes.save_button", "field.pre_score", "field.post_score", "field.satisfaction_1", "field.satisfaction_2",
	"field.satisfaction_3", "course.closed", "offline.scores_conflict", "offline.scores_conflict_note", "offline.scores_keep_mine",
	"offline.scores_keep_server", "offline.scores_mine", "offline.scores_server", "offline.scores_no_copy",
	"outcomes.score_range", "outcomes.rating_range", // {field}: filled in by offline.js
}

// offlineNamedKeys are the check-in's sentences about a person, for the
// device to answer a code offline as the server would: {name}, {at},
// {status}, {by} are filled in by offline.js. "checkin.already_marked_nobody"
// is the sentence without who marked (a mark made on this device).
var offlineNamedKeys = map[string]string{
	"checkin.checked_in": "checkin.checked_in", "checkin.already_present": "checkin.already_present",
	"checkin.already_marked": "checkin.already_marked", "checkin.already_marked_nobody": "checkin.already_marked",
}

// offlinePluralKeys are offline.js's sentences with a count.
var offlinePluralKeys = []string{"offline.pending", "offline.refused_count", "offline.conflict_count", "offline.scores_conflict_count"}

// pluralSamples is a number of each CLDR plural category of each language:
// offline.js picks the form with Intl.PluralRules and puts its count for {n}.
var pluralSamples = map[string]map[string]int{
	"ar": {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 11, "other": 100},
	"fr": {"one": 1, "many": 1000000, "other": 2},
	"en": {"one": 1, "other": 2},
}

// OfflineTexts are offline.js's sentences for a trainer's pages (nil for
// the other roles: the app offline is the trainers'). html/template writes
// the map as JSON into the page's <script type="application/json">.
func (p *Page) OfflineTexts() map[string]any {
	if p.User == nil || p.User.Role != domain.RoleTrainer || p.tr == nil {
		return nil
	}
	out := make(map[string]any, len(offlineTextKeys)+len(offlinePluralKeys)+len(offlineNamedKeys)+1)
	for _, key := range offlineTextKeys {
		out[key] = p.tr.T(key, "At", "{at}", "Field", "{field}")
	}
	for _, key := range offlinePluralKeys {
		forms := map[string]string{}
		for category, n := range pluralSamples[p.Lang] {
			forms[category] = p.tr.localize(&i18n.LocalizeConfig{MessageID: key, PluralCount: n,
				TemplateData: map[string]any{"Count": "{n}"}})
		}
		out[key] = forms
	}
	for name, key := range offlineNamedKeys {
		by := "{by}"
		if name == "checkin.already_marked_nobody" {
			by = ""
		}
		out[name] = p.tr.T(key, "Name", "{name}", "At", "{at}", "Status", "{status}", "By", by)
	}
	out["lang"] = p.Lang
	return out
}
