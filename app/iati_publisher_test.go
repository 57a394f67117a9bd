package app_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"takaffoul/app"
	"takaffoul/domain"
	"takaffoul/repository/dbtest"
)

// The IATI file's publisher is configured (IATI_REPORTING_ORG,
// IATI_ACTIVITY_PREFIX, read by main.go into app.Config): the reporting
// and participating organisation and every activity's identifier carry it,
// and the file still validates against IATI's schema.
func TestIATIPublisherIsConfigured(t *testing.T) {
	t.Parallel()
	store := dbtest.DemoStore(t)
	web, err := app.New(app.Config{TrustedProxies: []string{"0.0.0.0"}, SessionPurgeInterval: -1,
		IATI: app.IATI{ReportingOrg: "XM-DAC-99999", ActivityPrefix: "XM-DAC-99999-TKF"}}, store, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	addUser(t, store, "coordinator@iati.ma", domain.RoleCoordinator)
	coordinator := newClient(t, web)
	coordinator.login("coordinator@iati.ma", testPassword)
	resp := coordinator.get("/exports/indicators.iati.xml")
	expectStatus(t, "IATI", resp, 200)
	validateXML(t, "iati/iati-activities-schema.xsd", []byte(resp.Body))
	var doc struct {
		Activities []struct {
			Identifier   string `xml:"iati-identifier"`
			ReportingOrg struct {
				Ref string `xml:"ref,attr"`
			} `xml:"reporting-org"`
			Participant struct {
				Ref string `xml:"ref,attr"`
			} `xml:"participating-org"`
		} `xml:"iati-activity"`
	}
	if err := xml.Unmarshal([]byte(resp.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Activities) == 0 {
		t.Fatalf("no activity: %s", resp.Body)
	}
	for _, a := range doc.Activities {
		if !strings.HasPrefix(a.Identifier, "XM-DAC-99999-TKF-") || a.ReportingOrg.Ref != "XM-DAC-99999" || a.Participant.Ref != "XM-DAC-99999" {
			t.Errorf("activity %q, reporting-org %q, participating-org %q", a.Identifier, a.ReportingOrg.Ref, a.Participant.Ref)
		}
	}
	if strings.Contains(resp.Body, app.DefaultIATIReportingOrg) {
		t.Errorf("the placeholder is still in the file")
	}
}

// The defaults, and the identifiers refused at start-up.
func TestIATIPublisherDefaultsAndRefusals(t *testing.T) {
	t.Parallel()
	if d := (app.IATI{}).WithDefaults(); d.ReportingOrg != "MA-MSDSEF" || d.ActivityPrefix != "MA-MSDSEF" {
		t.Errorf("defaults: %+v", d)
	}
	if d := (app.IATI{ReportingOrg: "XM-DAC-1"}).WithDefaults(); d.ActivityPrefix != "XM-DAC-1" {
		t.Errorf("the prefix follows the organisation: %+v", d)
	}
	for _, ok := range []app.IATI{{}, {ReportingOrg: "XM-DAC-41114"}, {ReportingOrg: "MA-RC-123", ActivityPrefix: "MA-RC-123-2017"}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
	for _, bad := range []app.IATI{{ReportingOrg: "MA MSDSEF"}, {ReportingOrg: "MA/MSDSEF"}, {ActivityPrefix: "MA-MSDSEF?"}, {ReportingOrg: "MA-\u00a0X"}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
