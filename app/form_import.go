package app

import "mime/multipart"

// importUpload is a participant list as sent: the import page's form
// (views/pages/imports/form.html) and the API's multipart body alike.
type importUpload struct {
	File             *multipart.FileHeader `form:"file"`
	CourseID         int64                 `form:"course_id"`
	DryRun           bool                  `form:"dry_run"`
	OverrideCapacity bool                  `form:"override_capacity"`
	Draft            int64                 `form:"draft"` // the file uploaded for the preview, instead of File
}

// newImportUpload is the empty form: a preview first, into the course
// the page was opened from (?course=), if any.
func newImportUpload(courseID int64) *importUpload {
	return &importUpload{CourseID: courseID, DryRun: true}
}
