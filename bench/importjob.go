package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// importJobAnswer is the status URL's answer (docs/API.md, "Imports").
type importJobAnswer struct {
	ID        int64  `json:"id"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
	Report    *struct {
		Rows    int `json:"rows"`
		Created int `json:"created"`
	} `json:"report"`
	Problems []struct {
		Key string `json:"key"`
	} `json:"problems"`
}

// runImportJob posts a participant file as a job (Prefer: respond-async)
// and polls its status URL every 50 ms until it ends, as the status page
// does; it returns the status of the POST, the job as it ended and how
// long it all took.
func (b *bench) runImportJob(name string, content []byte, fields map[string]string) (int, *importJobAnswer, time.Duration, error) {
	body, contentType := multipartFile("file", name, content, fields)
	start := time.Now()
	req, err := http.NewRequestWithContext(context.Background(), "POST", b.base+"/api/v1/imports/trainees", body)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Prefer", "respond-async")
	var job importJobAnswer
	status, err := b.doJSON(req, &job)
	if err != nil || status != http.StatusAccepted {
		return status, nil, time.Since(start), err
	}
	for job.Status == "running" {
		time.Sleep(50 * time.Millisecond)
		req, err := http.NewRequestWithContext(context.Background(), "GET", b.base+job.StatusURL, nil)
		if err != nil {
			return status, nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+b.token)
		if s, err := b.doJSON(req, &job); err != nil || s != http.StatusOK {
			return s, nil, 0, fmt.Errorf("GET %s: %d %v", job.StatusURL, s, err)
		}
	}
	return status, &job, time.Since(start), nil
}

func (b *bench) doJSON(req *http.Request, v any) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}
