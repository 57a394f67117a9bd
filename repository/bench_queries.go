package repository

// The benchmark (bench/) measures the application against PostgreSQL doing
// the same work with no application in between; these give it the exact
// statements the application runs.

// AttendanceExportQuery is the whole-dataset attendance export query and
// the planner settings it runs with, for psql's \copy.
func AttendanceExportQuery() (query string, plannerSettings []string) {
	q, _ := attendanceQuery(AttendanceFilter{}, AllCourses())
	return q, exportPlanner
}
