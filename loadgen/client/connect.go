package client

import (
	"context"
	"fmt"

	"github.com/valyala/fasthttp"
)

// Connector is a Client that can open its connection before its first
// request, so that the request does not pay for the dial: the open
// model's first slots connect before the schedule starts. The fasthttp
// client is one; net/http's opens connections only for requests, and a
// Client that is no Connector simply connects on its first request.
type Connector interface {
	// Connect opens the connection a request to url would use, unless one
	// is open already, within the client's timeout and ctx. A failure
	// leaves the client as it was: its next request dials again.
	Connect(ctx context.Context, url string) error
}

// Connect opens the connection a request to rawURL would use.
func (c *fastHTTP) Connect(ctx context.Context, rawURL string) error {
	var u fasthttp.URI
	if err := u.Parse(nil, []byte(rawURL)); err != nil {
		return fmt.Errorf("request URL %q: %w", rawURL, err)
	}
	_, _, err := c.open(ctx, &u, rawURL)
	return err
}
