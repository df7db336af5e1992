package model

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// OpenLink opens a link of a message in the system's browser (in the
// browser app: a new tab). Only http and https addresses with a host are
// opened; nothing is fetched from a link before the user opens it.
func (m *Model) OpenLink(_ context.Context, link string) error {
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("open link: %w", err)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" || u.Host == "" {
		return fmt.Errorf("open link %q: only http and https addresses are opened", link)
	}
	if err := m.cfg.OpenURL(link); err != nil {
		return fmt.Errorf("open link: %w", err)
	}
	return nil
}
