package app

import (
	"fmt"
	"io"
	"mime/multipart"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A person's consents and rights (issue 18): consents recorded and
// withdrawn on the person's page (coordinators and admins; the ministry,
// which reads aggregates only, reaches none of it), the scan of a signed
// form, everything held about the person (admins) and anonymisation
// (admins, with a reason).

// consentForm is the form that records a consent (views/pages/people/show.html).
type consentForm struct {
	Scope          string                `form:"scope"`
	Method         string                `form:"method"`
	WordingVersion string                `form:"wording_version"`
	GivenOn        domain.Date           `form:"given_on"`
	Scan           *multipart.FileHeader `form:"scan"`
}

// personPageData is a person's record, its history and its consents.
type personPageData struct {
	Trainee  *domain.Trainee
	History  []shownChange
	Consents []domain.Consent
	Scopes   []domain.ConsentScope
	Methods  []domain.ConsentMethod
	Wording  string
	Today    string
}

func personPath(id int64) string { return fmt.Sprintf("/people/%d", id) }

// personPage shows a person's full record, consents and history, for
// coordinators and admins; reading a minor's record is logged.
func (s *Server) personPage(c *fiber.Ctx) error {
	d, err := s.personPageData(c)
	if err != nil {
		return err
	}
	return s.render(c, "people/show", d)
}

func (s *Server) personPageData(c *fiber.Ctx) (*personPageData, error) {
	t, err := s.store.TraineeRecord(c.UserContext(), traineeID(c), actor(c))
	if err != nil {
		return nil, err
	}
	history, err := s.history(c, repository.AuditFilter{TraineeID: &t.ID})
	if err != nil {
		return nil, err
	}
	consents, err := s.store.Consents(c.UserContext(), t.ID)
	if err != nil {
		return nil, err
	}
	return &personPageData{Trainee: t, History: history, Consents: consents, Scopes: domain.ConsentScopes,
		Methods: domain.ConsentMethods, Wording: domain.ConsentWording,
		Today: time.Now().In(domain.Casablanca).Format(domain.DateLayout)}, nil
}

// recordConsentForm records the consent the form describes, with its scan.
func (s *Server) recordConsentForm(c *fiber.Ctx) error {
	var f consentForm
	form := readForm(c, &f)
	err := form.Check(nil)
	var scan []byte
	if err == nil && f.Scan != nil {
		scan, err = readScan(f.Scan)
	}
	if err == nil {
		_, err = s.store.RecordConsent(c.UserContext(), domain.NewConsent{TraineeID: traineeID(c),
			Scope: domain.ConsentScope(f.Scope), Method: domain.ConsentMethod(f.Method),
			WordingVersion: f.WordingVersion, GivenOn: f.GivenOn, Scan: scan}, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "people/show", form, err, func() (any, error) { return s.personPageData(c) })
	}
	return c.Redirect(personPath(traineeID(c)), fiber.StatusSeeOther)
}

// readScan reads an uploaded scan, refusing one over domain.MaxScanBytes
// without reading it whole.
func readScan(h *multipart.FileHeader) ([]byte, error) {
	if h.Size > domain.MaxScanBytes {
		return nil, domain.Invalid("scan", "consent.scan_too_large")
	}
	file, err := h.Open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, domain.MaxScanBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// withdrawConsentForm withdraws one of the person's consents.
func (s *Server) withdrawConsentForm(c *fiber.Ctx) error {
	consentID, err := paramID(c, "consent_id")
	if err != nil {
		return err
	}
	if err := s.store.WithdrawConsent(c.UserContext(), traineeID(c), consentID, actor(c)); err != nil {
		return err
	}
	return c.Redirect(personPath(traineeID(c)), fiber.StatusSeeOther)
}

// consentScan sends the scan of a signed form as a download, never shown
// inline (its type was checked from its content when stored).
func (s *Server) consentScan(c *fiber.Ctx) error {
	consentID, err := paramID(c, "consent_id")
	if err != nil {
		return err
	}
	scan, mediaType, err := s.store.ConsentScan(c.UserContext(), traineeID(c), consentID)
	if err != nil {
		return err
	}
	ext := map[string]string{"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[mediaType]
	c.Set(fiber.HeaderContentType, mediaType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="consent-%d.%s"`, consentID, ext))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(scan)
}

// personDataJSON answers everything held about the person, as a file.
func (s *Server) personDataJSON(c *fiber.Ctx) error {
	d, err := s.store.PersonData(c.UserContext(), traineeID(c), actor(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="person-%d.json"`, traineeID(c)))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(d)
}

// personDataPage shows everything held about the person, to print.
func (s *Server) personDataPage(c *fiber.Ctx) error {
	d, err := s.store.PersonData(c.UserContext(), traineeID(c), actor(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, "people/data", personDataPageData{PersonData: d, At: time.Now()})
}

// personDataPageData is the printable page of a person's data.
type personDataPageData struct {
	*repository.PersonData
	At time.Time
}

// anonymiseForm is the form that anonymises a person.
type anonymiseForm struct {
	Reason string `form:"reason"`
}

// anonymisePersonForm anonymises the person, with the reason typed.
func (s *Server) anonymisePersonForm(c *fiber.Ctx) error {
	var f anonymiseForm
	form := readForm(c, &f)
	err := form.Check(nil)
	if err == nil {
		err = s.store.AnonymiseTrainee(c.UserContext(), traineeID(c), f.Reason, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "people/show", form, err, func() (any, error) { return s.personPageData(c) })
	}
	return c.Redirect(personPath(traineeID(c)), fiber.StatusSeeOther)
}
