package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"
	"unsafe"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
)

// ProfileTasks turns a compiled profile into tasks that request baseURL.
// Each user renders into its own buffers (see InitProfileUser), so once they
// have grown a task run allocates nothing.
//
// Tasks are named as profiles.TaskTemplate.EntryName names them: a path
// under http://host/api is counted as /api/...
func ProfileTasks(c *profiles.Compiled, baseURL string) []users.Task {
	base := strings.TrimRight(baseURL, "/")
	basePath := BasePath(baseURL)
	tasks := make([]users.Task, len(c.Tasks))
	for i, tt := range c.Tasks {
		pt := &profileTask{tmpl: tt, base: base}
		if tt.Static {
			// Render once, to keep the URL as a string no user rewrites.
			var out profiles.Rendered
			if err := tt.Render(profiles.NewRenderContext(0, 0), &out); err == nil {
				pt.staticURL = base + string(out.Path)
			}
		}
		tasks[i] = users.Task{Method: tt.Method, Name: tt.EntryName(basePath), Weight: tt.Weight, Run: pt.run}
	}
	return tasks
}

// BasePath is the path of a target's base URL, without its trailing
// slash: "/api" for http://host/api/, "" for http://host.
func BasePath(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.EscapedPath(), "/")
}

// InitProfileUser gives a user the rendering state that ProfileTasks'
// tasks expect, drawing templates' random values from the user's own source.
func InitProfileUser(u *users.User) {
	u.Data = &profileUser{rc: &profiles.RenderContext{UserID: u.ID, Rand: u.Rand}}
}

// ProfileRand is the random source of user id in a run seeded with seed; it
// is the one profiles' templates draw from, so one seed replays a run.
func ProfileRand(seed uint64) func(id int) *rand.Rand {
	return func(id int) *rand.Rand { return profiles.NewRand(seed, id) }
}

type profileUser struct {
	rc      *profiles.RenderContext
	out     profiles.Rendered
	url     []byte
	headers []client.Header
}

type profileTask struct {
	tmpl      *profiles.TaskTemplate
	base      string
	staticURL string
}

func (t *profileTask) run(ctx context.Context, u *users.User) (int64, error) {
	pu := u.Data.(*profileUser)
	if err := t.tmpl.Render(pu.rc, &pu.out); err != nil {
		return 0, fmt.Errorf("rendering task %s %s: %w", t.tmpl.Method, t.tmpl.Name, err)
	}
	req := &u.Req
	req.Method = t.tmpl.Method
	if t.staticURL != "" {
		req.URL = t.staticURL
	} else {
		pu.url = append(append(pu.url[:0], t.base...), pu.out.Path...)
		// The client reads the URL only during Do and pu.url is not touched
		// again until the next run, so a string over the buffer is safe and
		// saves an allocation per request.
		req.URL = unsafe.String(unsafe.SliceData(pu.url), len(pu.url))
	}
	pu.headers = pu.headers[:0]
	for _, h := range pu.out.Headers {
		pu.headers = append(pu.headers, client.Header{Key: h.Name, Value: unsafe.String(unsafe.SliceData(h.Value), len(h.Value))})
	}
	req.Header = pu.headers
	req.Body = pu.out.Body
	resp, err := u.Client.Do(ctx, req)
	if err != nil {
		return resp.Bytes, err
	}
	if !t.tmpl.Expect(resp.Status) {
		return resp.Bytes, &users.StatusError{Code: resp.Status}
	}
	return resp.Bytes, nil
}

// profileWaiter adapts a profile's wait to users.Waiter.
type profileWaiter struct{ w profiles.Wait }

func (p profileWaiter) Next(r *rand.Rand, took time.Duration) time.Duration { return p.w.Next(r, took) }

// ProfileWait adapts a profile's wait setting for Options.Wait.
func ProfileWait(w profiles.Wait) users.Waiter { return profileWaiter{w} }
