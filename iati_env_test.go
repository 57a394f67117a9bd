package main

import "testing"

// The IATI file's publisher comes from the environment (docs/INDICATORS.md);
// unset, the app's documented placeholder. Serial: it sets the environment.
func TestIATIPublisherReadsTheEnvironment(t *testing.T) {
	t.Setenv("IATI_REPORTING_ORG", " XM-DAC-99999 ")
	t.Setenv("IATI_ACTIVITY_PREFIX", "")
	if got := iatiPublisher().WithDefaults(); got.ReportingOrg != "XM-DAC-99999" || got.ActivityPrefix != "XM-DAC-99999" {
		t.Errorf("from the environment: %+v", got)
	}
	t.Setenv("IATI_REPORTING_ORG", "")
	if got := iatiPublisher().WithDefaults(); got.ReportingOrg != "MA-MSDSEF" {
		t.Errorf("unset: %+v", got)
	}
	t.Setenv("IATI_ACTIVITY_PREFIX", "MA MSDSEF")
	if err := iatiPublisher().Validate(); err == nil {
		t.Errorf("a prefix with a space was accepted")
	}
}
