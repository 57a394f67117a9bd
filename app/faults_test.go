package app_test

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func openStore(t *testing.T, url string) *repository.Store {
	t.Helper()
	store, err := repository.Open(context.Background(), url, repository.PoolConfig{MaxOpen: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestDatabaseStoppedWhileServing stops the database under a running
// application: /readyz and every page answer 503 quickly (no crash, no
// hang), and the application recovers by itself once the database is back.
func TestDatabaseStoppedWhileServing(t *testing.T) {
	dir, err := os.MkdirTemp("", "takaffoul-fault-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := repository.StartEmbedded(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			db.Stop()
		}
	}()
	ctx := context.Background()
	store, err := repository.Open(ctx, db.URL, repository.PoolConfig{MaxOpen: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	addUser(t, store, "coordinator@fault.ma", domain.RoleCoordinator)
	web := newApp(t, store)
	browser := newClient(t, web)
	browser.login("coordinator@fault.ma", testPassword)
	expectStatus(t, "courses, database up", browser.get("/courses"), 200)

	if err := db.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	for _, target := range []string{"/readyz", "/courses", "/api/v1/courses"} {
		start := time.Now()
		r := browser.get(target)
		if r.StatusCode != 503 {
			t.Errorf("%s with the database stopped: want 503, got %d", target, r.StatusCode)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s took %v to answer", target, took)
		}
		if strings.Contains(r.Body, "connection refused") || strings.Contains(r.Body, "dial tcp") {
			t.Errorf("%s shows the internal error", target)
		}
	}
	healthz := browser.get("/healthz")
	expectStatus(t, "the process is still up", healthz, 200)

	// Back up on the same port: the application reconnects without a restart.
	db, err = repository.StartEmbedded(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	stopped = false
	deadline := time.Now().Add(10 * time.Second)
	for browser.get("/readyz").StatusCode != 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover within 10 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	expectStatus(t, "courses, database back, same session", browser.get("/courses"), 200)
}

// TestTwoInstancesShareEverythingThroughTheDatabase signs in on one
// instance and works on the other: the application keeps no state of its own.
func TestTwoInstancesShareEverythingThroughTheDatabase(t *testing.T) {
	t.Parallel()
	url := dbtest.NewDatabase(t)
	storeA, storeB := openStore(t, url), openStore(t, url) // two pools, as two processes would have
	tr := addUser(t, storeA, "trainer@two.ma", domain.RoleTrainer)
	w := newWorld(t, storeA, tr.ID)
	a, b := newApp(t, storeA), newApp(t, storeB)

	onA := newClient(t, a)
	onA.login("trainer@two.ma", testPassword)
	onB := newClient(t, b)
	onB.cookies, onB.token, onB.ip = onA.cookies, onA.token, onA.ip

	sheet := "/sessions/" + itoa(w.session.ID) + "/attendance"
	expectStatus(t, "sheet on B", onB.get(sheet), 200)
	expectStatus(t, "save on B", onB.post(sheet, map[string][]string{"action": {"all_present"}}), 303)
	rosterA := onA.get("/api/v1/courses/" + itoa(w.course.ID) + "/roster")
	rosterB := onB.get("/api/v1/courses/" + itoa(w.course.ID) + "/roster")
	if rosterA.Body != rosterB.Body || !strings.Contains(rosterA.Body, `"attended":1`) {
		t.Fatalf("the two instances disagree:\nA %s\nB %s", rosterA.Body, rosterB.Body)
	}
	// The ministry's figures are the same whichever instance answers.
	addUser(t, storeA, "coordinator@two.ma", domain.RoleCoordinator)
	deskA := newClient(t, a)
	deskA.ip = "198.51.100.77"
	deskA.login("coordinator@two.ma", testPassword)
	deskB := newClient(t, b)
	deskB.cookies, deskB.token, deskB.ip = deskA.cookies, deskA.token, deskA.ip
	totalsA, totalsB := deskA.get("/api/v1/totals"), deskB.get("/api/v1/totals")
	if totalsA.StatusCode != 200 || totalsA.Body != totalsB.Body || !strings.Contains(totalsA.Body, `"trained":1`) {
		t.Fatalf("totals differ between instances:\nA %s\nB %s", totalsA.Body, totalsB.Body)
	}
	expectStatus(t, "logout on A", onA.post("/logout", nil), 303)
	if r := onB.get("/courses"); r.StatusCode != 303 {
		t.Fatalf("the session ended on A must be ended on B: got %d", r.StatusCode)
	}
}
