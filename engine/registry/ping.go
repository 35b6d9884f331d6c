package registry

import (
	"context"
	"fmt"
)

// Ping checks that host speaks the API and, with credentials, that they
// are accepted (what `berth login` verifies before saving them).
func (c *Client) Ping(ctx context.Context, host string) error {
	host = apiHost(host)
	resp, err := c.send(ctx, request{method: "GET", host: host, path: "/v2/", scope: ""})
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", host, resp.Status)
	}
	return nil
}
