package build

import (
	"strings"
	"testing"
)

const sample = `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM ${BASE} AS builder
RUN echo one \
    && echo two
RUN ["echo", "exec", "form"]
COPY --chown=1:1 --chmod=755 a b /dst/
RUN <<EOF
echo from a heredoc
EOF
COPY <<CONF /etc/app.conf
key=value
CONF

FROM builder
ENV A=1 B="two words"
ONBUILD RUN echo later
CMD ["sh"]
`

func TestParseSample(t *testing.T) {
	df, err := Parse(strings.NewReader(sample), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(df.MetaArgs) != 1 || len(df.Stages) != 2 {
		t.Fatalf("meta args %d stages %d", len(df.MetaArgs), len(df.Stages))
	}
	s0 := df.Stages[0]
	if s0.Name != "builder" || s0.Base != "${BASE}" || s0.Line != 3 {
		t.Fatalf("stage 0: %+v", s0)
	}
	run := s0.Instructions[0]
	if run.Cmd != "run" || run.Line != 4 || run.EndLine != 5 || run.JSON || !strings.Contains(strings.Join(run.Args, " "), "echo two") {
		t.Fatalf("continuation: %+v", run)
	}
	if exec := s0.Instructions[1]; !exec.JSON || strings.Join(exec.Args, ",") != "echo,exec,form" {
		t.Fatalf("exec form: %+v", exec)
	}
	if cp := s0.Instructions[2]; len(cp.Flags) != 2 || strings.Join(cp.Args, " ") != "a b /dst/" {
		t.Fatalf("copy flags: %+v", cp)
	}
	if h := s0.Instructions[3].Heredocs; len(h) != 1 || !strings.Contains(h[0].Content, "from a heredoc") {
		t.Fatalf("RUN heredoc: %+v", h)
	}
	if h := s0.Instructions[4].Heredocs; len(h) != 1 || h[0].Content != "key=value\n" {
		t.Fatalf("COPY heredoc: %+v", h)
	}
	if df.Stages[1].Base != "builder" || len(df.Stages[1].Instructions) != 3 {
		t.Fatalf("stage 1: %+v", df.Stages[1])
	}
	base, err := df.Expand(s0.Base, []string{"BASE=busybox"})
	if err != nil || base != "busybox" {
		t.Fatalf("expand: %q %v", base, err)
	}
}

func TestExpand(t *testing.T) {
	df := &Dockerfile{Escape: '\\'}
	env := []string{"V=val", "EMPTY="}
	for in, want := range map[string]string{
		"$V": "val", "${V}": "val", "${NOPE:-dflt}": "dflt", "${V:-dflt}": "val",
		"${V:+alt}": "alt", "${NOPE:+alt}": "", "'$V'": "$V", `\$V`: "$V", "a${V}b": "avalb",
	} {
		got, err := df.Expand(in, env)
		if err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
}

func TestEscapeDirective(t *testing.T) {
	df, err := Parse(strings.NewReader("# escape=`\nFROM busybox\nRUN echo a `\n  b\n"), "Dockerfile")
	if err != nil || df.Escape != '`' || len(df.Stages[0].Instructions) != 1 {
		t.Fatalf("%+v %v", df, err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"FROM busybox\nFROBNICATE x\n":   "Dockerfile:2: unknown instruction: FROBNICATE",
		"RUN echo hi\n":                  "Dockerfile:1: RUN before the first FROM",
		"# just a comment\n":             "no instructions",
		"FROM a AS x\nFROM b AS x\n":     "Dockerfile:2: stage name",
		"FROM busybox\nRUN\n":            "Dockerfile:2: RUN",
		"FROM --bogus=1 busybox\n":       "Dockerfile:1: FROM: unknown flag --bogus",
		"FROM busybox\nONBUILD FROM x\n": "Dockerfile:2: ONBUILD cannot take FROM",
		"FROM a b c d\n":                 "Dockerfile:1: FROM wants",
	}
	for in, want := range cases {
		_, err := Parse(strings.NewReader(in), "Dockerfile")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("FROM a\nRUN <<EOF\nx\nEOF\n")
	f.Add("# escape=`\nFROM a\nRUN a `\n b")
	f.Fuzz(func(t *testing.T, s string) {
		df, err := Parse(strings.NewReader(s), "Dockerfile")
		if err == nil && len(df.Stages) == 0 {
			t.Fatal("parsed without a stage")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "Dockerfile") {
			t.Fatalf("error without its place: %v", err)
		}
	})
}

func TestParseBareOnbuild(t *testing.T) {
	_, err := Parse(strings.NewReader("FROM a\nONBUILD\n"), "Dockerfile")
	if err == nil || err.Error() != "Dockerfile:2: ONBUILD needs an instruction" {
		t.Fatalf("got %v", err)
	}
}
