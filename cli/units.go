package cli

import (
	"fmt"
	"time"

	"berth/internal/units"
)

// humanSize prints sizes as docker does.
func humanSize(n int64) string { return units.HumanSize(n) }

// since prints "3 days ago" as docker's CREATED column.
func since(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	return humanDuration(d) + " ago"
}

func humanDuration(d time.Duration) string {
	s := int64(d.Seconds())
	switch {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	case d.Minutes() < 2:
		return "About a minute"
	case d.Minutes() < 60:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d.Hours() < 2:
		return "About an hour"
	case d.Hours() < 48:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d.Hours() < 24*7*2:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d.Hours() < 24*30*2:
		return fmt.Sprintf("%d weeks", int(d.Hours()/24/7))
	case d.Hours() < 24*365*2:
		return fmt.Sprintf("%d months", int(d.Hours()/24/30))
	}
	return fmt.Sprintf("%d years", int(d.Hours()/24/365))
}
