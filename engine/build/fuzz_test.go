package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"berth/engine"
	"berth/internal/fixture"
)

var (
	fuzzOnce sync.Once
	fuzzEng  *engine.Engine
	fuzzDir  string
)

// FuzzBuild builds whatever Dockerfile the fuzzer makes, without RUN (it
// would run the input) or remote ADD: every instruction's expansion, flags
// and the COPY machinery must answer with an error, never a panic.
func FuzzBuild(f *testing.F) {
	f.Add("FROM busybox\nENV A=${B:-x} C=$A\nCOPY --chmod=0755 --chown=1:2 a* /d/\nWORKDIR $A/w\nEXPOSE 1-3/udp\nLABEL k=\"v\"\n")
	f.Add("ARG X=busybox\nFROM $X AS s\nCOPY . /c/\nFROM scratch\nCOPY --from=s /c /\nHEALTHCHECK --interval=1s CMD x\n")
	f.Add("FROM busybox\nCOPY <<EOF /f\n$HOME\nEOF\nADD a.tgz /x/\nONBUILD COPY . /\nSTOPSIGNAL 9\nSHELL [\"a\"]\n")
	f.Fuzz(func(t *testing.T, df string) {
		parsed, err := Parse(strings.NewReader(df), "Dockerfile")
		if err != nil {
			return
		}
		for _, st := range parsed.Stages {
			for _, ins := range st.Instructions {
				text := strings.ToLower(ins.Original)
				if ins.Cmd == "run" || strings.Contains(text, "run") || strings.Contains(text, "://") {
					return
				}
			}
		}
		fuzzOnce.Do(func() {
			// Named after the parent: a fuzz worker is killed at the end,
			// so the coordinator (its parent) removes what it made.
			dir, err := os.MkdirTemp("", fmt.Sprintf("fuzzbuild-%d-", os.Getppid()))
			if err != nil {
				t.Fatal(err)
			}
			fuzzDir = dir
			if fuzzEng, err = engine.Open(filepath.Join(dir, "root")); err != nil {
				t.Fatal(err)
			}
			layout := filepath.Join(dir, "busybox")
			if err := fixture.Busybox(layout); err != nil {
				t.Skip(err)
			}
			if _, err := fuzzEng.Load(context.Background(), layout); err != nil {
				t.Fatal(err)
			}
			ctx := filepath.Join(dir, "ctx")
			os.MkdirAll(filepath.Join(ctx, "sub"), 0o755)
			os.WriteFile(filepath.Join(ctx, "a"), []byte("a"), 0o644)
			os.WriteFile(filepath.Join(ctx, "sub", "b"), []byte("b"), 0o644)
		})
		if fuzzEng == nil {
			t.Skip("no engine")
		}
		ctxDir := filepath.Join(fuzzDir, "ctx")
		dfPath := filepath.Join(t.TempDir(), "Dockerfile")
		os.WriteFile(dfPath, []byte(df), 0o644)
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// No pulls: the only image is busybox; anything else must fail fast.
		Build(c, fuzzEng, Options{ContextDir: ctxDir, Dockerfile: dfPath, NoCache: true, pullDisabled: true})
	})
}

// TestMain removes the fuzz store (each fuzz worker process makes one).
func TestMain(m *testing.M) {
	code := m.Run()
	if fuzzDir != "" {
		os.RemoveAll(fuzzDir)
	}
	workers, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("fuzzbuild-%d-*", os.Getpid())))
	for _, d := range workers {
		os.RemoveAll(d)
	}
	os.Exit(code)
}
