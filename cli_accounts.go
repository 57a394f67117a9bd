package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/views"
)

// tokenCommand manages API tokens: create, list, revoke.
func tokenCommand(args []string) error {
	const usageLine = "usage: takaffoul token create|list|revoke -email E [-prefix P]"
	if len(args) == 0 {
		return errors.New(usageLine)
	}
	action := args[0]
	if action != "create" && action != "list" && action != "revoke" {
		return fmt.Errorf("unknown token action %q; %s", action, usageLine)
	}
	fs := newFlags("token "+action, "token "+action+" -email E"+map[bool]string{true: " [-prefix P]"}[action == "revoke"])
	email := fs.String("email", "", "the user's e-mail address")
	prefix := ""
	if action == "revoke" {
		fs.StringVar(&prefix, "prefix", "", "revoke only the token with this prefix (see token list); default: all")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("-email is required")
	}
	ctx := context.Background()
	db, err := openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer db.close()
	u, err := db.store.UserByEmail(ctx, *email)
	if errors.Is(err, domain.ErrNotFound) {
		return errors.New("no user with this e-mail address")
	}
	if err != nil {
		return err
	}
	switch action {
	case "create":
		return createToken(ctx, db.store, u, os.Stdout)
	case "list":
		return listTokens(ctx, db.store, u, os.Stdout)
	}
	return revokeTokens(ctx, db.store, u, prefix, os.Stdout)
}

func createToken(ctx context.Context, store *repository.Store, u *domain.User, w io.Writer) error {
	if !u.Active {
		return errors.New("this user is deactivated: a token would not work")
	}
	token, t, err := store.CreateAPIToken(ctx, u.ID, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "API token for %s (%s), prefix %s. It is shown only this once; keep it secret:\n%s\n",
		u.Email, u.Role, t.Prefix, token)
	fmt.Fprintf(w, "Use it as: Authorization: Bearer %s…\n", token[:12])
	return nil
}

func listTokens(ctx context.Context, store *repository.Store, u *domain.User, w io.Writer) error {
	tokens, err := store.APITokens(ctx, u.ID)
	if err != nil {
		return err
	}
	if len(tokens) == 0 {
		fmt.Fprintln(w, "no tokens")
		return nil
	}
	for _, t := range tokens {
		state := "live"
		if t.RevokedAt != nil {
			state = "revoked " + t.RevokedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		used := "never used"
		if t.LastUsedAt != nil {
			used = "last used " + t.LastUsedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(w, "%s  created %s  %s  %s\n", t.Prefix, t.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), used, state)
	}
	return nil
}

func revokeTokens(ctx context.Context, store *repository.Store, u *domain.User, prefix string, w io.Writer) error {
	n, err := store.RevokeAPITokens(ctx, u.ID, prefix, nil)
	if errors.Is(err, domain.ErrNotFound) {
		if prefix != "" {
			return fmt.Errorf("no live token with prefix %q for this user", prefix)
		}
		return errors.New("this user has no live token")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d token(s) revoked for %s\n", n, u.Email)
	return nil
}

// demoSeeder adds one kind of demo data and says what it did. Add yours to
// demoSeeders (programmes, courses…); accounts come first, and their password
// is printed once, at the very end.
type demoSeeder func(ctx context.Context, store *repository.Store, w io.Writer) error

var demoSeeders = []demoSeeder{seedDemoProgrammes}

// seedDemoProgrammes loads the programmes of the ministry's closing report
// (repository.SeedDemoProgrammes) and says what it created: nothing, on a
// second run.
func seedDemoProgrammes(ctx context.Context, store *repository.Store, w io.Writer) error {
	r, err := store.SeedDemoProgrammes(ctx)
	if err != nil {
		return err
	}
	if !r.Changed() {
		fmt.Fprintln(w, "demo programmes already present, nothing changed")
		return nil
	}
	fmt.Fprintf(w, "demo programmes (DEMO ONLY, fictitious people and places): %d provinces, %d programmes, "+
		"%d organisations, %d courses, %d sessions, %d trainees, %d enrolments (%d withdrawn), "+
		"%d attendance sheets, %d reported figures\n", r.Provinces, r.Programmes, r.Organisations, r.Courses,
		r.Sessions, r.Trainees, r.Enrollments, r.Withdrawals, r.RostersSaved, r.ReportedFigures)
	if r.TrainerAssignments > 0 {
		fmt.Fprintf(w, "%s has a course running this week, with a session today: sign in as them to take attendance\n",
			repository.DemoTrainer)
	}
	return nil
}

// seedDemoCommand: "seed demo" fills the database with demo data.
func seedDemoCommand(args []string) error {
	fs := newFlags("seed demo", "seed demo  (demo accounts and data; never on a server with real data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer db.close()
	return seedDemo(ctx, db.store, os.Stdout)
}

func seedDemo(ctx context.Context, store *repository.Store, w io.Writer) error {
	password, created, err := store.SeedDemoAccounts(ctx)
	if err != nil {
		return err
	}
	for _, seed := range demoSeeders {
		if err := seed(ctx, store, w); err != nil {
			return err
		}
	}
	var existing []string
	for _, a := range repository.DemoAccounts {
		if !contains(created, a.Email) {
			existing = append(existing, a.Email)
		}
	}
	if len(existing) > 0 {
		fmt.Fprintf(w, "demo accounts already present, passwords unchanged: %s\n", strings.Join(existing, ", "))
	}
	if len(created) > 0 {
		fmt.Fprintf(w, "demo accounts created (DEMO ONLY): %s\n", strings.Join(created, ", "))
		fmt.Fprintf(w, "their password, shown only this once: %s\n", password)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// englishMessages are the interface's English sentences (views/locales/*.en.json,
// plural forms left out), for the commands' messages: `user add` with a weak
// password says what the web form says.
var englishMessages = sync.OnceValue(func() map[string]string {
	messages := map[string]string{}
	files, _ := fs.Glob(views.FS, "locales/*.en.json")
	for _, file := range files {
		b, err := fs.ReadFile(views.FS, file)
		if err != nil {
			continue
		}
		var all map[string]any
		if json.Unmarshal(b, &all) != nil {
			continue
		}
		for key, v := range all {
			if text, ok := v.(string); ok {
				messages[key] = text
			}
		}
	}
	return messages
})

// problemInEnglish is the English sentence of a field's problem, or its key
// when the sentence needs parameters or is not found.
func problemInEnglish(p domain.Problem) string {
	if text, ok := englishMessages()[p.Key]; ok && !strings.Contains(text, "{{") {
		return text
	}
	return p.Key
}
