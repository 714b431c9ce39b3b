package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/profiles/dataset"
	"github.com/loadgen/loadgen/results"
)

// CheckProfile says which part of a compiled profile the open model
// cannot run: it sends single requests at a rate, so it has no users to
// log in, keep variables or walk through steps. Several user classes,
// on_start or on_stop, data files, tasks with steps, captures, checks
// beyond the status, and user stages need users; a profile that uses none
// of them runs in the open model as ProfileTasks makes it.
func CheckProfile(c *profiles.Compiled) error {
	var used []string
	add := func(what string) {
		if !slices.Contains(used, what) {
			used = append(used, what)
		}
	}
	if len(c.Classes) != 1 {
		add("several user classes")
	}
	if len(c.Profile.Stages) > 0 {
		add("stages")
	}
	for _, cl := range c.Classes {
		if len(cl.OnStart) > 0 || len(cl.OnStop) > 0 {
			add("on_start and on_stop")
		}
		if cl.Data != nil {
			add("data files")
		}
		for _, t := range cl.Tasks {
			if t.Sequence {
				add("tasks with steps")
			}
			for _, r := range t.Steps {
				if len(r.Captures) > 0 {
					add("captures")
				}
				if chk := *r.Check; len(chk.BodyContains)+len(chk.BodyNotContains)+len(chk.JSON)+len(chk.Headers) > 0 || chk.MaxTime > 0 {
					add("checks other than the status")
				}
			}
		}
	}
	if len(used) > 0 {
		return fmt.Errorf("profile %s uses %s, which need users: the open model (a rate) sends single requests; run it with users", c.Profile.Name, strings.Join(used, ", "))
	}
	return nil
}

// ProfileClasses turns a compiled profile into its classes of users,
// requesting host: each user of a class runs its on_start, its weighted
// tasks (every request its own row of rows, resolved here once) and its
// on_stop, through a client with the class's cookies and redirects, and
// takes its data from the class's rows (Data.Table: the whole file in one
// process, the same rows on every worker of a distributed run, dealt as
// worker w of n: see dataset.Dealer; 0 and 1 in one process).
func ProfileClasses(c *profiles.Compiled, host string, rows *results.Rows, w, n int) []users.Class {
	out := make([]users.Class, 0, len(c.Classes))
	for _, ct := range c.Classes {
		var table *dataset.Table
		if ct.Data != nil {
			table = ct.Data.Table
		}
		jc := newJourneyClass(ct, host, rows, table, w, n)
		uc := users.Class{
			Name:        ct.Name,
			Weight:      ct.Weight,
			Wait:        ProfileWait(ct.Wait),
			NoCookies:   !ct.Cookies,
			NoRedirects: !ct.FollowRedirects,
			InitUser: func(u *users.User) {
				u.Data = newJourneyUser(jc, u.Client, u.ID, u.Rand)
			},
			OnStart: func(ctx context.Context, u *users.User) error {
				return u.Data.(*journeyUser).start(ctx, u.ClassRank, u)
			},
		}
		if d, ok := ct.Wait.ExpectedInterval(); ok {
			uc.ExpectedInterval = d
		}
		if len(ct.OnStop) > 0 {
			uc.OnStop = func(ctx context.Context, u *users.User) { u.Data.(*journeyUser).stop(ctx, u) }
		}
		for _, t := range ct.Tasks {
			uc.Tasks = append(uc.Tasks, users.Task{Weight: t.Weight, Run: func(ctx context.Context, u *users.User) (int64, error) {
				u.Data.(*journeyUser).task(ctx, t, u)
				return 0, nil
			}})
		}
		out = append(out, uc)
	}
	return out
}

// ProfileTasks turns a compiled profile into tasks that request baseURL.
// Each user renders into its own buffers (see InitProfileUser), so once they
// have grown a task run allocates nothing. Check the profile with
// CheckProfile first: the tasks of a profile it refuses fail every run.
//
// Tasks are named as profiles.RequestTemplate.EntryName names them: a path
// under http://host/api is counted as /api/...
func ProfileTasks(c *profiles.Compiled, baseURL string) []users.Task {
	base := strings.TrimRight(baseURL, "/")
	basePath := BasePath(baseURL)
	refused := CheckProfile(c)
	src := c.Classes[0].Tasks
	tasks := make([]users.Task, len(src))
	for i, task := range src {
		tt := task.Steps[0]
		pt := &profileTask{tmpl: tt, base: base, refused: refused}
		if tt.Static {
			// Render once, to keep the URL as a string no user rewrites.
			var out profiles.Rendered
			if err := tt.Render(profiles.NewRenderContext(0, 0), &out); err == nil {
				pt.staticURL = base + string(out.Path)
			}
		}
		tasks[i] = users.Task{Method: tt.Method, Name: tt.EntryName(basePath), Weight: task.Weight, Run: pt.run}
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
	tmpl      *profiles.RequestTemplate
	base      string
	staticURL string
	refused   error
}

func (t *profileTask) run(ctx context.Context, u *users.User) (int64, error) {
	if t.refused != nil {
		return 0, t.refused
	}
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
