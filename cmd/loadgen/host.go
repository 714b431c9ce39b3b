package main

import (
	"errors"
	"fmt"
	"net/url"
)

// checkHost accepts an absolute http or https URL with a host and no query,
// since task paths are appended to it.
func checkHost(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("want an http:// or https:// URL, got scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host in the URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("the base URL may not have a query or fragment")
	}
	return nil
}
