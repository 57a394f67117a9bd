package app

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"takaffoul/domain"
)

// Message files are views/locales/<feature>.<lang>.json (go-i18n's JSON
// format, CLDR plural forms). Every file is loaded, so each feature adds its
// own files; TestMessageFilesAgree checks that no key is missing from a language.
const localesDir = "locales"

// casablanca is where every date and time is displayed: the database and
// the code work in UTC.
var casablanca = domain.Casablanca

// loadMessages reads every message file into one bundle, Arabic first.
func loadMessages(views fs.FS) (*i18n.Bundle, error) {
	bundle := i18n.NewBundle(language.Arabic)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	files, err := fs.Glob(views, path.Join(localesDir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no message files under views/%s", localesDir)
	}
	for _, file := range files {
		if _, err := bundle.LoadMessageFileFS(views, file); err != nil {
			return nil, fmt.Errorf("message file %s: %w", file, err)
		}
	}
	return bundle, nil
}

// languageMatcher picks one of our languages from an Accept-Language header.
var languageMatcher = language.NewMatcher([]language.Tag{language.Arabic, language.French, language.English})

// Translator speaks one language. Handlers reach it with s.tr(c); templates
// through the page's T and N methods.
type Translator struct {
	Lang      string
	localizer *i18n.Localizer
	log       *slog.Logger
}

func newTranslator(bundle *i18n.Bundle, lang string, log *slog.Logger) *Translator {
	return &Translator{Lang: lang, localizer: i18n.NewLocalizer(bundle, lang), log: log}
}

// Dir is the writing direction of the language: "rtl" for Arabic.
func (t *Translator) Dir() string {
	if t.Lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// T translates key; args are name/value pairs for the message's template:
// T("home.welcome", "Name", u.Name). A missing key shows the key itself (and
// is logged): a visible defect, never a crash.
func (t *Translator) T(key string, args ...any) string {
	return t.localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: pairs(args)})
}

// N translates a message with plural forms for count (Arabic has six:
// zero, one, two, few, many, other); the template sees it as {{.Count}}.
func (t *Translator) N(key string, count int, args ...any) string {
	data := pairs(args)
	data["Count"] = count
	return t.localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: data, PluralCount: count})
}

func (t *Translator) localize(cfg *i18n.LocalizeConfig) string {
	msg, err := t.localizer.Localize(cfg)
	if err != nil {
		t.log.Warn("message missing or broken", "key", cfg.MessageID, "lang", t.Lang, "error", err)
		if msg == "" {
			return cfg.MessageID
		}
	}
	return msg
}

func pairs(args []any) map[string]any {
	data := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		data[fmt.Sprint(args[i])] = args[i+1]
	}
	return data
}

// indexInFieldName matches the "[3]" of "marks[3].status".
var indexInFieldName = regexp.MustCompile(`\[\d+\]`)

// FieldName is the translated name of a form or API field: "field.<name>",
// where a nested name such as "marks[3].status" is looked up as "field.status".
func (t *Translator) FieldName(field string) string {
	name := indexInFieldName.ReplaceAllString(field, "")
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return t.T("field." + name)
}

// Problem is the sentence for one field's problem. A numeric Param (the 200
// of "validation.max") also chooses the plural form.
func (t *Translator) Problem(field string, p domain.Problem) string {
	data := map[string]any{"Field": t.FieldName(field), "Param": p.Param}
	cfg := &i18n.LocalizeConfig{MessageID: p.Key, TemplateData: data}
	if n, err := strconv.Atoi(p.Param); err == nil {
		cfg.PluralCount = n
	}
	return t.localize(cfg)
}

// Problems translates every field problem of a validation error: the map
// the forms show next to the fields and the JSON API returns as "fields".
func (t *Translator) Problems(v *domain.ValidationError) map[string]string {
	return t.FieldProblems(v.Fields)
}

// FieldProblems translates problems keyed by field (a validation error's, a
// refusal's).
func (t *Translator) FieldProblems(problems map[string]domain.Problem) map[string]string {
	out := make(map[string]string, len(problems))
	for field, p := range problems {
		out[field] = t.Problem(field, p)
	}
	return out
}

// DateTime writes t in Africa/Casablanca as people in Morocco write it,
// day/month/year and the time: "16/01/2026 00:30" (the forms ask a day
// so, domain.DayLayout). Files and the API keep year-month-day.
func DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(casablanca).Format(domain.DayLayout + " 15:04")
}

// Date writes t's day in Africa/Casablanca, day/month/year: "16/01/2026".
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(casablanca).Format(domain.DayLayout)
}

const (
	langCookie = "lang"
	langKey    = "lang" // c.Locals: the request's *Translator
)

// tr is the request's translator, in the language chosen for it: the
// signed-in user's setting, else the "lang" cookie (the visible switch),
// else Accept-Language, else Arabic.
func (s *Server) tr(c *fiber.Ctx) *Translator {
	if t, ok := c.Locals(langKey).(*Translator); ok {
		return t
	}
	t := newTranslator(s.messages, s.chooseLanguage(c), s.log)
	c.Locals(langKey, t)
	return t
}

func (s *Server) chooseLanguage(c *fiber.Ctx) string {
	if u := currentUser(c); u != nil && domain.ValidLanguage(u.Language) {
		return u.Language
	}
	if lang := c.Cookies(langCookie); domain.ValidLanguage(lang) {
		return lang
	}
	if header := c.Get(fiber.HeaderAcceptLanguage); header != "" {
		tags, _, err := language.ParseAcceptLanguage(header)
		if err == nil && len(tags) > 0 {
			_, index, confidence := languageMatcher.Match(tags...)
			if confidence != language.No {
				return domain.Languages[index]
			}
		}
	}
	return domain.Languages[0]
}
