package build

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"berth/engine"
)

// configStep applies an instruction that only changes the image config and
// returns its history line.
func (b *builder) configStep(s *state, ins Instruction) (string, error) {
	c := &s.cfg.Config
	switch ins.Cmd {
	case "env", "label":
		pairs, err := b.pairs(s, ins)
		if err != nil {
			return "", err
		}
		var shown []string
		for _, p := range pairs {
			if ins.Cmd == "env" {
				c.Env = setEnv(c.Env, p[0], p[1])
			} else {
				if c.Labels == nil {
					c.Labels = map[string]string{}
				}
				c.Labels[p[0]] = p[1]
			}
			shown = append(shown, p[0]+"="+p[1])
		}
		return strings.ToUpper(ins.Cmd) + " " + strings.Join(shown, " "), nil
	case "expose":
		words, err := b.words(s, ins)
		if err != nil {
			return "", err
		}
		var ports []string
		for _, w := range words {
			ps, err := exposedPorts(w)
			if err != nil {
				return "", b.errAt(ins.Line, "EXPOSE: %v", err)
			}
			ports = append(ports, ps...)
		}
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range ports {
			c.ExposedPorts[p] = struct{}{}
		}
		sort.Strings(ports)
		return "EXPOSE " + strings.Join(ports, " "), nil
	case "volume":
		words, err := b.words(s, ins)
		if err != nil {
			return "", err
		}
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		for _, w := range words {
			if strings.TrimSpace(w) == "" {
				return "", b.errAt(ins.Line, "VOLUME: an empty path")
			}
			c.Volumes[w] = struct{}{}
		}
		return "VOLUME [" + strings.Join(words, " ") + "]", nil
	case "user":
		words, err := b.words(s, ins)
		if err != nil {
			return "", err
		}
		c.User = strings.Join(words, " ")
		return "USER " + c.User, nil
	case "cmd", "entrypoint":
		argv := b.commandArgs(s, ins)
		if ins.Cmd == "cmd" {
			c.Cmd, s.cmdSet = argv, true
		} else {
			c.Entrypoint = argv
			if !s.cmdSet {
				c.Cmd = nil // docker: an ENTRYPOINT drops the base image's CMD
			}
		}
		j, _ := json.Marshal(argv)
		return strings.ToUpper(ins.Cmd) + " " + string(j), nil
	case "shell":
		if !ins.JSON {
			return "", b.errAt(ins.Line, "SHELL requires the JSON form, e.g. SHELL [\"/bin/bash\", \"-c\"]")
		}
		c.Shell = append([]string(nil), ins.Args...)
		j, _ := json.Marshal(c.Shell)
		return "SHELL " + string(j), nil
	case "stopsignal":
		words, err := b.words(s, ins)
		if err != nil {
			return "", err
		}
		if _, err := engine.ParseSignal(words[0]); err != nil {
			return "", b.errAt(ins.Line, "STOPSIGNAL: %v", err)
		}
		c.StopSignal = words[0]
		return "STOPSIGNAL " + words[0], nil
	case "healthcheck":
		hc, err := b.healthcheck(s, ins)
		if err != nil {
			return "", err
		}
		c.Healthcheck = hc
		j, _ := json.Marshal(hc.Test)
		return "HEALTHCHECK " + string(j), nil
	case "onbuild":
		t := strings.TrimSpace(ins.Original)
		t = strings.TrimSpace(t[len("onbuild"):])
		c.OnBuild = append(c.OnBuild, t)
		return "ONBUILD " + t, nil
	case "maintainer":
		s.cfg.Author = strings.Join(ins.Args, " ")
		return "MAINTAINER " + s.cfg.Author, nil
	}
	return "", b.errAt(ins.Line, "unknown instruction: %s", strings.ToUpper(ins.Cmd))
}

// words expands every argument of ins as docker does for that instruction.
func (b *builder) words(s *state, ins Instruction) ([]string, error) {
	env := s.exprEnv()
	out := make([]string, 0, len(ins.Args))
	for _, a := range ins.Args {
		w, err := b.df.Expand(a, env)
		if err != nil {
			return nil, b.errAt(ins.Line, "%s: %v", strings.ToUpper(ins.Cmd), err)
		}
		out = append(out, w)
	}
	return out, nil
}

// pairs reads ENV and LABEL's key/value list. Every value sees the
// variables as they were before the instruction, as docker has it.
func (b *builder) pairs(s *state, ins Instruction) ([][2]string, error) {
	if len(ins.Args)%3 != 0 {
		return nil, b.errAt(ins.Line, "%s wants KEY=VALUE pairs", strings.ToUpper(ins.Cmd))
	}
	env := s.exprEnv()
	var out [][2]string
	for i := 0; i < len(ins.Args); i += 3 {
		k, err := b.df.Expand(ins.Args[i], env)
		if err != nil {
			return nil, b.errAt(ins.Line, "%s: %v", strings.ToUpper(ins.Cmd), err)
		}
		v, err := b.df.Expand(ins.Args[i+1], env)
		if err != nil {
			return nil, b.errAt(ins.Line, "%s: %v", strings.ToUpper(ins.Cmd), err)
		}
		if k == "" {
			return nil, b.errAt(ins.Line, "%s: a key is empty", strings.ToUpper(ins.Cmd))
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// commandArgs is the argv of CMD, ENTRYPOINT or RUN: the JSON form as
// written, the shell form through the stage's SHELL.
func (b *builder) commandArgs(s *state, ins Instruction) []string {
	if ins.JSON {
		return append([]string(nil), ins.Args...)
	}
	return append(b.shell(s), strings.Join(ins.Args, " "))
}

func (b *builder) shell(s *state) []string {
	if len(s.cfg.Config.Shell) > 0 {
		return append([]string(nil), s.cfg.Config.Shell...)
	}
	return []string{"/bin/sh", "-c"}
}

// exposedPorts reads one EXPOSE word: 80, 80/udp, 8000-8002/tcp.
func exposedPorts(w string) ([]string, error) {
	port, proto, _ := strings.Cut(w, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("%q: protocol must be tcp, udp or sctp", w)
	}
	lo, hi, isRange := strings.Cut(port, "-")
	a, err := strconv.Atoi(lo)
	if err != nil || a < 0 || a > 65535 {
		return nil, fmt.Errorf("%q: not a port number", w)
	}
	z := a
	if isRange {
		if z, err = strconv.Atoi(hi); err != nil || z < a || z > 65535 {
			return nil, fmt.Errorf("%q: not a port range", w)
		}
	}
	var out []string
	for p := a; p <= z; p++ {
		out = append(out, strconv.Itoa(p)+"/"+proto)
	}
	return out, nil
}

// healthcheck reads HEALTHCHECK [flags] CMD ... | NONE.
func (b *builder) healthcheck(s *state, ins Instruction) (*healthConfig, error) {
	kind := strings.ToUpper(ins.Args[0])
	if kind == "NONE" {
		if len(ins.Args) > 1 || len(ins.Flags) > 0 {
			return nil, b.errAt(ins.Line, "HEALTHCHECK NONE takes no flags or arguments")
		}
		return &healthConfig{Test: []string{"NONE"}}, nil
	}
	if kind != "CMD" || len(ins.Args) < 2 {
		return nil, b.errAt(ins.Line, "HEALTHCHECK wants CMD command or NONE")
	}
	hc := &healthConfig{}
	if ins.JSON {
		hc.Test = append([]string{"CMD"}, ins.Args[1:]...)
	} else {
		hc.Test = []string{"CMD-SHELL", strings.Join(ins.Args[1:], " ")}
	}
	for _, f := range ins.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		var d *time.Duration
		switch k {
		case "interval":
			d = &hc.Interval
		case "timeout":
			d = &hc.Timeout
		case "start-period":
			d = &hc.StartPeriod
		case "start-interval":
			d = &hc.StartInterval
		case "retries":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, b.errAt(ins.Line, "HEALTHCHECK --retries=%s: not a count", v)
			}
			hc.Retries = n
			continue
		default:
			return nil, b.errAt(ins.Line, "HEALTHCHECK: unknown flag --%s", k)
		}
		dv, err := time.ParseDuration(v)
		if err != nil || dv < 0 {
			return nil, b.errAt(ins.Line, "HEALTHCHECK --%s=%s: not a duration", k, v)
		}
		*d = dv
	}
	return hc, nil
}
