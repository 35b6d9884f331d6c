package engine

import (
	"context"
	"time"

	"berth/engine/monitor"
)

// LogsOptions are `berth logs`' flags.
type LogsOptions struct {
	Follow       bool
	Tail         int // <0: all
	Since, Until time.Time
}

// Logs calls fn for each log entry of the container, oldest first; with
// Follow it keeps going until the container stops or ctx ends.
func (e *Engine) Logs(ctx context.Context, ref string, o LogsOptions, fn func(monitor.LogEntry) error) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	dir := e.containerDir(ci.Record.ID)
	keep := func(le monitor.LogEntry) bool {
		return (o.Since.IsZero() || !le.Time.Before(o.Since)) && (o.Until.IsZero() || le.Time.Before(o.Until))
	}
	var tail []monitor.LogEntry
	offset, err := monitor.ReadLogs(dir, func(le monitor.LogEntry) error {
		if !keep(le) {
			return nil
		}
		if o.Tail < 0 {
			return fn(le)
		}
		tail = append(tail, le)
		if len(tail) > o.Tail {
			tail = tail[1:]
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, le := range tail {
		if err := fn(le); err != nil {
			return err
		}
	}
	if !o.Follow {
		return nil
	}
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			st, err := monitor.ReadState(dir)
			if err != nil || (!running(st) && st.Status != monitor.Created) {
				return
			}
		}
	}()
	return monitor.FollowLogs(dir, offset, stop, func(le monitor.LogEntry) error {
		if !keep(le) {
			return nil
		}
		return fn(le)
	})
}
