package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Instruction is one Dockerfile instruction.
type Instruction struct {
	Cmd      string   // lower case: from, run, copy...
	Args     []string // its words; for the JSON form, the array's items
	JSON     bool     // exec (JSON) form
	Flags    []string // --from=..., --chown=..., --mount=...
	Heredocs []parser.Heredoc
	Line     int
	EndLine  int
	Original string
}

// Stage is a FROM and what follows it.
type Stage struct {
	Name         string // AS name, "" when unnamed
	Base         string // the image (or an earlier stage) it starts from
	Platform     string // --platform
	Line         int
	Instructions []Instruction
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Name     string        // for errors: "Dockerfile" or the -f path
	MetaArgs []Instruction // ARGs before the first FROM
	Stages   []Stage
	Escape   rune
	Warnings []string
}

// known are the instructions berth accepts.
var known = map[string]bool{
	"from": true, "run": true, "cmd": true, "entrypoint": true, "env": true, "arg": true, "label": true,
	"expose": true, "volume": true, "workdir": true, "user": true, "copy": true, "add": true, "shell": true,
	"stopsignal": true, "healthcheck": true, "onbuild": true, "maintainer": true,
}

// Error is a Dockerfile problem with its place.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var lineRe = regexp.MustCompile(`line (\d+)`)

// Parse reads a Dockerfile; name labels its errors.
func Parse(r io.Reader, name string) (*Dockerfile, error) {
	if name == "" {
		name = "Dockerfile"
	}
	b, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	res, err := parser.Parse(bytes.NewReader(b))
	if err != nil {
		line := 0
		if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := err.Error()
		if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "dockerfile parse error") && i >= 0 {
			msg = msg[i+2:]
		}
		return nil, &Error{File: name, Line: line, Msg: msg}
	}
	df := &Dockerfile{Name: name, Escape: res.EscapeToken}
	for _, w := range res.Warnings {
		df.Warnings = append(df.Warnings, w.Short)
	}
	for _, n := range res.AST.Children {
		ins, err := instruction(n, name)
		if err != nil {
			return nil, err
		}
		if ins.Cmd == "from" {
			st, err := stage(ins, name)
			if err != nil {
				return nil, err
			}
			df.Stages = append(df.Stages, st)
			continue
		}
		if len(df.Stages) == 0 {
			if ins.Cmd != "arg" {
				return nil, &Error{File: name, Line: ins.Line, Msg: fmt.Sprintf("%s before the first FROM (only ARG may come first)", strings.ToUpper(ins.Cmd))}
			}
			df.MetaArgs = append(df.MetaArgs, ins)
			continue
		}
		last := &df.Stages[len(df.Stages)-1]
		last.Instructions = append(last.Instructions, ins)
	}
	if len(df.Stages) == 0 {
		return nil, &Error{File: name, Msg: "no FROM instruction: nothing to build"}
	}
	seen := map[string]int{}
	for _, st := range df.Stages {
		if st.Name == "" {
			continue
		}
		if prev, ok := seen[st.Name]; ok {
			return nil, &Error{File: name, Line: st.Line, Msg: fmt.Sprintf("stage name %q is already used on line %d", st.Name, prev)}
		}
		seen[st.Name] = st.Line
	}
	return df, nil
}

func instruction(n *parser.Node, file string) (Instruction, error) {
	ins := Instruction{Cmd: strings.ToLower(n.Value), Flags: n.Flags, Heredocs: n.Heredocs,
		Line: n.StartLine, EndLine: n.EndLine, Original: n.Original}
	if !known[ins.Cmd] {
		return ins, &Error{File: file, Line: n.StartLine, Msg: fmt.Sprintf("unknown instruction: %s", strings.ToUpper(n.Value))}
	}
	ins.JSON = n.Attributes["json"]
	for a := n.Next; a != nil; a = a.Next {
		ins.Args = append(ins.Args, a.Value)
	}
	if ins.Cmd == "onbuild" && (n.Next == nil || len(n.Next.Children) == 0) {
		return ins, &Error{File: file, Line: n.StartLine, Msg: "ONBUILD needs an instruction"}
	}
	if ins.Cmd == "onbuild" {
		// ONBUILD's argument is an instruction of its own, checked now.
		inner, err := instruction(n.Next.Children[0], file)
		if err != nil {
			return ins, err
		}
		if inner.Cmd == "onbuild" || inner.Cmd == "from" || inner.Cmd == "maintainer" {
			return ins, &Error{File: file, Line: n.StartLine, Msg: fmt.Sprintf("ONBUILD cannot take %s", strings.ToUpper(inner.Cmd))}
		}
	}
	if len(ins.Args) == 0 && ins.Cmd != "onbuild" && len(ins.Heredocs) == 0 {
		return ins, &Error{File: file, Line: n.StartLine, Msg: fmt.Sprintf("%s needs an argument", strings.ToUpper(ins.Cmd))}
	}
	return ins, nil
}

func stage(ins Instruction, file string) (Stage, error) {
	st := Stage{Line: ins.Line}
	for _, f := range ins.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if k != "platform" {
			return st, &Error{File: file, Line: ins.Line, Msg: fmt.Sprintf("FROM: unknown flag --%s", k)}
		}
		st.Platform = v
	}
	switch {
	case len(ins.Args) == 1:
		st.Base = ins.Args[0]
	case len(ins.Args) == 3 && strings.EqualFold(ins.Args[1], "as"):
		st.Base, st.Name = ins.Args[0], strings.ToLower(ins.Args[2])
	default:
		return st, &Error{File: file, Line: ins.Line, Msg: "FROM wants IMAGE [AS NAME]"}
	}
	return st, nil
}

// Expand substitutes variables in a word as docker does: $V, ${V},
// ${V:-default}, ${V:+alt}, quotes and escapes.
func (d *Dockerfile) Expand(word string, env []string) (string, error) {
	lex := shell.NewLex(d.Escape)
	out, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(env))
	if err != nil {
		return "", errors.New("bad variable substitution in " + strconv.Quote(word) + ": " + err.Error())
	}
	return out, nil
}
