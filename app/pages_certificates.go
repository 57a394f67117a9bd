package app

import (
	"errors"
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// Certificates (issue 19, point 3; docs/CERTIFICATES.md): a coordinator
// issues them in bulk for a course, prints each one (a bilingual A4 page)
// and anyone checks one at /verify/<code>, the address its QR code holds.

// verifyPrefix is the public verify page's path: open to anyone
// (requireSignIn lets it through without a session).
const verifyPrefix = "/verify/"

// isVerifyPath says whether a request is for the public verify page.
func isVerifyPath(c *fiber.Ctx) bool {
	return (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) && strings.HasPrefix(c.Path(), verifyPrefix)
}

func certificatesPath(courseID int64) string { return coursePath(courseID) + "/certificates" }

// certificatesPageData is a course's certificates.
type certificatesPageData struct {
	Course       *domain.Course
	Certificates []domain.Certificate
	Valid        int
}

// certificatesPage lists a course's certificates with the button that
// issues the missing ones.
func (s *Server) certificatesPage(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	list, err := s.store.CourseCertificates(c.UserContext(), course.ID)
	if err != nil {
		return err
	}
	data := &certificatesPageData{Course: course, Certificates: list}
	for i := range list {
		if list[i].Valid() {
			data.Valid++
		}
	}
	return s.render(c, "certificates/list", data)
}

// issueCertificatesForm issues the course's missing certificates (and
// revokes or reissues the wrong ones), then shows the list.
func (s *Server) issueCertificatesForm(c *fiber.Ctx) error {
	if _, err := s.store.IssueCertificates(c.UserContext(), courseID(c), actor(c)); err != nil {
		return err
	}
	return s.redirectWithFlash(c, certificatesPath(courseID(c)), "certificates.flash_issued")
}

// apiIssueCertificates answers POST /api/v1/courses/{id}/certificates:
// what the run did ({"issued", "revoked", "reissued"}).
func (s *Server) apiIssueCertificates(c *fiber.Ctx) error {
	run, err := s.store.IssueCertificates(c.UserContext(), courseID(c), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(run)
}

// apiCertificates answers GET /api/v1/courses/{id}/certificates.
func (s *Server) apiCertificates(c *fiber.Ctx) error {
	list, err := s.store.CourseCertificates(c.UserContext(), courseID(c))
	if err != nil {
		return err
	}
	return c.JSON(list)
}

// certificateText is the fixed wording of a certificate in one language.
type certificateText struct {
	Lang, Dir, Title, Certifies, Name, Completed, Course, As, Dates, Hours, Number, Verify, Revoked string
}

// certificatePageData is one printable certificate: its two languages
// side by side (the page's language first), the QR code of its verify
// address.
type certificatePageData struct {
	Course    *domain.Course
	Cert      *domain.Certificate
	Texts     []certificateText
	QR        template.HTML
	VerifyURL string
}

// certificatePage shows one certificate of the course, ready to print on
// one A4 page (certificate.css). A revoked one is printed across with
// "revoked".
func (s *Server) certificatePage(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("cert_id"), 10, 64)
	if err != nil {
		return domain.ErrNotFound
	}
	course, err := s.course(c)
	if err != nil {
		return err
	}
	cert, err := s.store.Certificate(c.UserContext(), course.ID, id)
	if err != nil {
		return err
	}
	url := c.BaseURL() + verifyPrefix + cert.Code
	qr, err := qrSVG(url, s.tr(c).T("certificates.qr_label"))
	if err != nil {
		return err
	}
	langs := []string{"ar", "fr"}
	if s.tr(c).Lang != "ar" {
		langs = []string{"fr", "ar"}
	}
	data := &certificatePageData{Course: course, Cert: cert, QR: qr, VerifyURL: url}
	for _, lang := range langs {
		data.Texts = append(data.Texts, s.certificateText(lang, cert))
	}
	return s.render(c, "certificates/show", data)
}

// certificateText words cert in lang. The name in the language's script
// comes first (the other if it has none); a certificate whose name is
// withheld names its holder by their record's number.
func (s *Server) certificateText(lang string, cert *domain.Certificate) certificateText {
	t := newTranslator(s.messages, lang, s.log)
	name := firstOf(cert.HolderNameLatin, cert.HolderNameAr)
	if lang == "ar" {
		name = firstOf(cert.HolderNameAr, cert.HolderNameLatin)
	}
	if cert.NameWithheld() {
		name = t.T("certificates.doc.holder_number", "Number", "#"+strconv.FormatInt(cert.TraineeID, 10))
	}
	return certificateText{Lang: lang, Dir: t.Dir(),
		Title:     t.T("certificates.doc.title"),
		Certifies: t.T("certificates.doc.certifies"),
		Name:      name,
		Completed: t.T(gendered("certificates.doc.completed", cert.HolderSex)),
		Course:    cert.CourseTitle().In(lang),
		As:        t.T(gendered("certificates.doc.as", cert.HolderSex), "Category", t.T(gendered("category."+string(cert.Category), cert.HolderSex))),
		Dates:     t.T("certificates.doc.dates", "Start", cert.StartDate.Local(), "End", cert.EndDate.Local()),
		Hours:     t.T("certificates.doc.hours", "Hours", formatDecimal(lang, cert.Hours)),
		Number:    t.T("certificates.doc.number", "Number", cert.Number),
		Verify:    t.T("certificates.doc.verify"),
		Revoked:   t.T("certificates.doc.revoked"),
	}
}

// gendered is the key of the feminine form of a certificate's message
// (views/locales/certgender.*.json: "key.female") for a woman, the key
// itself otherwise: Arabic and French agree with the holder ("بصفتها
// فاعلة مؤسساتية، قد تابعت", "Actrice institutionnelle"), and the
// masculine forms are the existing messages.
func gendered(key string, sex domain.Sex) string {
	if sex == domain.Female {
		return key + ".female"
	}
	return key
}

func firstOf(a, b *string) string {
	if a != nil && *a != "" {
		return *a
	}
	if b != nil {
		return *b
	}
	return ""
}

// verifyPageData is what the public verify page shows: whether the
// certificate is valid, its course, dates and hours, its number and the
// holder's initials. Nothing else about the person.
type verifyPageData struct {
	Found    bool
	Valid    bool
	Number   string
	Initials string
	Course   domain.Names
	Start    string
	End      string
	Hours    string
	Revoked  string // the day it was revoked
	Replaced bool   // revoked because a corrected certificate replaced it
}

// verifyPage is the public page a certificate's QR code leads to. It needs
// no sign-in and says only what verifyPageData holds; an unknown code is a
// 404 with the same page ("no such certificate"). Codes are 120 random
// bits: they cannot be listed by trying (docs/SECURITY.md).
func (s *Server) verifyPage(c *fiber.Ctx) error {
	c.Set("Cache-Control", "no-store")
	c.Set("X-Robots-Tag", "noindex")
	c.Set("Referrer-Policy", "no-referrer")
	code := strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(c.Path(), verifyPrefix)))
	cert, err := s.store.VerifyCertificate(c.UserContext(), code)
	if errors.Is(err, domain.ErrNotFound) {
		return s.renderPage(c, fiber.StatusNotFound, "certificates/verify", &verifyPageData{}, nil)
	}
	if err != nil {
		return err
	}
	d := &verifyPageData{Found: true, Valid: cert.Valid(), Number: cert.Number, Initials: cert.HolderInitials,
		Course: cert.CourseTitle(), Start: cert.StartDate.Local(), End: cert.EndDate.Local(),
		Hours: formatDecimal(s.tr(c).Lang, cert.Hours)}
	if cert.RevokedAt != nil {
		d.Revoked = Date(*cert.RevokedAt)
		d.Replaced = cert.ReplacedBy != nil
	}
	return s.render(c, "certificates/verify", d)
}
