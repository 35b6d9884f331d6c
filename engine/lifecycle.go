package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"berth/engine/cgroups"
	"berth/engine/events"
	"berth/engine/monitor"
	"berth/engine/network"
)

func running(s monitor.State) bool {
	return s.Status == monitor.Running || s.Status == monitor.Paused || s.Status == monitor.Restarting || s.Status == "starting"
}

// Stop sends the stop signal, waits up to timeout, then kills.
func (e *Engine) Stop(ctx context.Context, ref string, timeout *time.Duration) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	dir := e.containerDir(ci.Record.ID)
	st, err := monitor.UpdateState(dir, func(s *monitor.State) { s.StopRequested = true })
	if err != nil {
		return err
	}
	if !running(ci.State) {
		return nil
	}
	sig := syscall.SIGTERM
	if ci.Record.Config.StopSignal != "" {
		if s, err := ParseSignal(ci.Record.Config.StopSignal); err == nil {
			sig = s
		}
	}
	wait := 10 * time.Second
	if ci.Record.Config.StopTimeout != nil {
		wait = time.Duration(*ci.Record.Config.StopTimeout) * time.Second
	}
	if timeout != nil {
		wait = *timeout
	}
	if st.Status == monitor.Paused {
		e.thaw(st)
	}
	syscall.Kill(st.Pid, sig)
	if e.waitExit(ctx, ci.Record.ID, wait) {
		e.publish(events.Event{Type: events.Container, Action: "stop", ID: ci.Record.ID, Name: ci.Record.Name})
		return nil
	}
	if st, _ := monitor.ReadState(dir); st.Pid > 0 {
		syscall.Kill(st.Pid, syscall.SIGKILL)
	}
	if !e.waitExit(ctx, ci.Record.ID, 10*time.Second) {
		return fmt.Errorf("container %s did not exit after SIGKILL", ci.Record.Name)
	}
	e.publish(events.Event{Type: events.Container, Action: "stop", ID: ci.Record.ID, Name: ci.Record.Name})
	return nil
}

// waitExit polls the state until the container is no longer running.
func (e *Engine) waitExit(ctx context.Context, id string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		st, err := monitor.ReadState(e.containerDir(id))
		if err != nil || !running(st) {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends a signal to the container's main process.
func (e *Engine) Kill(ctx context.Context, ref string, sig syscall.Signal) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	if !running(ci.State) || ci.State.Pid == 0 {
		return fmt.Errorf("container %s is not running", ci.Record.Name)
	}
	if sig == syscall.SIGKILL {
		monitor.UpdateState(e.containerDir(ci.Record.ID), func(s *monitor.State) { s.StopRequested = true })
	}
	if err := syscall.Kill(ci.State.Pid, sig); err != nil {
		return fmt.Errorf("kill %s: %w", ci.Record.Name, err)
	}
	e.publish(events.Event{Type: events.Container, Action: "kill", ID: ci.Record.ID, Name: ci.Record.Name})
	return nil
}

// Wait blocks until the container exits and returns its exit code.
func (e *Engine) Wait(ctx context.Context, ref string) (int, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return 0, err
	}
	for {
		st, err := monitor.ReadState(e.containerDir(ci.Record.ID))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return ci.State.ExitCode, nil
			}
			return 0, err
		}
		if !running(st) && st.Status != monitor.Created {
			return st.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RemoveContainer deletes a container; a running one only with force
// (which kills it first). volumes also removes its anonymous volumes.
func (e *Engine) RemoveContainer(ctx context.Context, ref string, force, volumes bool) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	if running(ci.State) {
		if !force {
			return fmt.Errorf("cannot remove running container %s: stop it first, or use -f", ci.Record.Name)
		}
		monitor.UpdateState(e.containerDir(ci.Record.ID), func(s *monitor.State) { s.StopRequested = true })
		if ci.State.Status == monitor.Paused {
			e.thaw(ci.State)
		}
		if ci.State.Pid > 0 {
			syscall.Kill(ci.State.Pid, syscall.SIGKILL)
		}
		if !e.waitExit(ctx, ci.Record.ID, 10*time.Second) {
			return fmt.Errorf("container %s did not exit after SIGKILL", ci.Record.Name)
		}
		if ci.State.Pid > 0 {
			network.WaitGone(ci.State.Pid, len(ci.Record.Networks), 2*time.Second)
		}
	}
	// A monitor that died uncleanly leaves its cgroup behind.
	if st, _ := monitor.ReadState(e.containerDir(ci.Record.ID)); len(st.CgroupPaths) > 0 {
		cg := cgroups.Load(st.CgroupPaths)
		if procs, _ := cg.Procs(); len(procs) == 0 {
			cg.Delete()
		}
	}
	if err := e.removeDir(ci.Record.ID); err != nil {
		return err
	}
	e.releaseNetworks(ci)
	if volumes {
		for _, m := range ci.Record.Host.Mounts {
			if v, err := e.Volume(m.Source); m.Type == "volume" && err == nil && v.Anonymous {
				e.RemoveVolume(v.Name, false)
			}
		}
	}
	e.publish(events.Event{Type: events.Container, Action: "destroy", ID: ci.Record.ID, Name: ci.Record.Name})
	return nil
}

func (e *Engine) removeDir(id string) error {
	dir := e.containerDir(id)
	// The record goes first: from then on the container is invisible.
	os.Remove(dir + "/" + ContainerRecordFile)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

// Pause and Unpause freeze the container's cgroup.
func (e *Engine) Pause(ctx context.Context, ref string) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	if ci.State.Status != monitor.Running {
		return fmt.Errorf("container %s is not running", ci.Record.Name)
	}
	if err := cgroups.Load(ci.State.CgroupPaths).Freeze(); err != nil {
		return fmt.Errorf("pause %s: %w", ci.Record.Name, err)
	}
	_, err = monitor.UpdateState(e.containerDir(ci.Record.ID), func(s *monitor.State) { s.Status = monitor.Paused })
	return err
}

func (e *Engine) Unpause(ctx context.Context, ref string) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	if ci.State.Status != monitor.Paused {
		return fmt.Errorf("container %s is not paused", ci.Record.Name)
	}
	e.thaw(ci.State)
	_, err = monitor.UpdateState(e.containerDir(ci.Record.ID), func(s *monitor.State) {
		if s.Status == monitor.Paused {
			s.Status = monitor.Running
		}
	})
	return err
}

func (e *Engine) thaw(st monitor.State) {
	if len(st.CgroupPaths) > 0 {
		cgroups.Load(st.CgroupPaths).Thaw()
	}
}

// PruneContainers removes every stopped container.
func (e *Engine) PruneContainers(ctx context.Context) ([]string, error) {
	cs, err := e.Containers()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range cs {
		if running(c.State) {
			continue
		}
		if err := e.RemoveContainer(ctx, c.Record.ID, false, false); err == nil {
			out = append(out, c.Record.ID)
		}
	}
	return out, nil
}
