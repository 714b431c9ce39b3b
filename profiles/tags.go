package profiles

import (
	"fmt"
	"slices"
	"strings"
)

// ParseTags reads --tags or --exclude-tags: tag names separated by commas
// or spaces, as Locust takes them.
func ParseTags(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	slices.Sort(f)
	return slices.Compact(f)
}

// SelectTags keeps the tasks that --tags and --exclude-tags select, as
// Locust's do: with tags, only tasks that have at least one of them; then,
// with exclude, only tasks that have none of those. A class left with no
// task, or with none of positive weight, is dropped, and a notice says so;
// on_start and on_stop are not tasks and are kept with their class. A tag
// that no task has is an error (most likely a typo), as is a selection
// that leaves no class at all. Apply it before Compile.
func SelectTags(p *Profile, tags, exclude []string) (notices []string, err error) {
	if len(tags) == 0 && len(exclude) == 0 {
		return nil, nil
	}
	known := map[string]bool{}
	for _, c := range p.Classes {
		for _, t := range c.Tasks {
			for _, tag := range t.Tags {
				known[tag] = true
			}
		}
	}
	all := make([]string, 0, len(known))
	for tag := range known {
		all = append(all, tag)
	}
	slices.Sort(all)
	for _, list := range [][]string{tags, exclude} {
		for _, tag := range list {
			if !known[tag] {
				have := "no task of the profile has tags"
				if len(all) > 0 {
					have = "the profile's tags are " + strings.Join(all, ", ")
				}
				return nil, fmt.Errorf("no task has the tag %q; %s", tag, have)
			}
		}
	}
	keep := func(t *Task) bool {
		if len(tags) > 0 && !slices.ContainsFunc(t.Tags, func(s string) bool { return slices.Contains(tags, s) }) {
			return false
		}
		return !slices.ContainsFunc(t.Tags, func(s string) bool { return slices.Contains(exclude, s) })
	}
	classes := p.Classes[:0:0]
	for _, c := range p.Classes {
		var tasks []Task
		positive := false
		for _, t := range c.Tasks {
			if keep(&t) {
				tasks = append(tasks, t)
				positive = positive || t.Weight > 0
			}
		}
		if !positive {
			notices = append(notices, fmt.Sprintf("class %s has no task left with these tags; none of its users will run", c.Name))
			continue
		}
		c.Tasks = tasks
		classes = append(classes, c)
	}
	if !slices.ContainsFunc(classes, func(c Class) bool { return c.Weight > 0 }) {
		return notices, fmt.Errorf("no task of a class with users is left with these tags (--tags %s, --exclude-tags %s)",
			strings.Join(tags, ","), strings.Join(exclude, ","))
	}
	p.Classes = classes
	return notices, nil
}
