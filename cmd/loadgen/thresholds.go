package main

import (
	"errors"
	"fmt"

	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results/threshold"
)

// parseThresholds parses the profile's thresholds, then --threshold's, and
// names where each bad one was written: the profile's file and line, or the
// flag.
func parseThresholds(p *profiles.Profile, flags []string) ([]*threshold.Threshold, error) {
	var out []*threshold.Threshold
	var errs []error
	for i, th := range p.Thresholds {
		t, err := threshold.Parse(th.Expr)
		if err != nil {
			errs = append(errs, &profiles.Error{File: p.Source, Line: th.Line, Field: fmt.Sprintf("thresholds[%d]", i), Err: err})
			continue
		}
		out = append(out, t)
	}
	for _, s := range flags {
		t, err := threshold.Parse(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("--threshold: %w", err))
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}
