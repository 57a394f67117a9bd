package repository

import "regexp"

// The benchmark (bench/) measures the application against PostgreSQL doing
// the same work with no application in between; these give it the exact
// statements the application runs.

// AttendanceExportQuery is the whole-dataset attendance export query, with
// every filter NULL (psql's \copy takes no parameters), and the planner
// settings it runs with.
func AttendanceExportQuery() (query string, plannerSettings []string) {
	return withoutFilters(attendanceSQL), exportPlanner
}

var parameter = regexp.MustCompile(`\$[0-9]+`)

// withoutFilters is q with every parameter NULL: the plan PostgreSQL makes
// for q with NULL values, since it folds "NULL IS NULL" away either way.
func withoutFilters(q string) string { return parameter.ReplaceAllString(q, "NULL") }
