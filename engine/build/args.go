package build

import (
	"encoding/json"
	"fmt"
	goruntime "runtime"
	"sort"
	"strings"
)

// argScope holds the ARGs declared so far: before the first FROM (the meta
// scope, for FROM lines) or in one stage. Declared args without a value
// stay unset, as docker has them.
type argScope struct {
	order []string
	vals  map[string]string
	set   map[string]bool
}

func newArgScope() *argScope {
	return &argScope{vals: map[string]string{}, set: map[string]bool{}}
}

func (a *argScope) declare(k, v string, set bool) {
	if _, ok := a.vals[k]; !ok {
		a.order = append(a.order, k)
	}
	a.vals[k] = v
	a.set[k] = set
}

func (a *argScope) lookup(k string) (string, bool) {
	v, ok := a.vals[k]
	return v, ok && a.set[k]
}

// env lists the set args as K=V, in declaration order.
func (a *argScope) env() []string {
	var out []string
	for _, k := range a.order {
		if a.set[k] {
			out = append(out, k+"="+a.vals[k])
		}
	}
	return out
}

func (a *argScope) clone() *argScope {
	c := newArgScope()
	for _, k := range a.order {
		c.declare(k, a.vals[k], a.set[k])
	}
	return c
}

func (a *argScope) expand(df *Dockerfile, word string) (string, error) {
	return df.Expand(word, a.env())
}

// proxyArgs may be passed with --build-arg without an ARG, as docker
// allows; they reach RUN but stay out of the cache key and the image.
var proxyArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true, "ALL_PROXY": true, "all_proxy": true,
}

// metaArgs evaluates the ARGs before the first FROM, over the platform
// args docker predefines there.
func (b *builder) metaArgs() (*argScope, error) {
	a := newArgScope()
	plat := "linux/" + goruntime.GOARCH
	for _, p := range []string{"TARGET", "BUILD"} {
		a.declare(p+"PLATFORM", plat, true)
		a.declare(p+"OS", "linux", true)
		a.declare(p+"ARCH", goruntime.GOARCH, true)
		a.declare(p+"VARIANT", "", true)
	}
	for _, ins := range b.df.MetaArgs {
		if err := b.declareArgs(a, nil, ins, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// declareArgs runs one ARG instruction into scope; expansion of defaults
// sees env (the stage's variables) and, for an ARG without a default, the
// meta scope supplies the value declared before FROM.
func (b *builder) declareArgs(scope *argScope, env []string, ins Instruction, meta *argScope) error {
	for _, word := range ins.Args {
		k, def, hasDef := strings.Cut(word, "=")
		if k == "" {
			return b.errAt(ins.Line, "ARG needs a name")
		}
		if v, ok := b.o.BuildArgs[k]; ok {
			b.mu.Lock()
			b.used[k] = true
			b.mu.Unlock()
			scope.declare(k, v, true)
			continue
		}
		if hasDef {
			v, err := b.df.Expand(def, append(scope.env(), env...))
			if err != nil {
				return b.errAt(ins.Line, "ARG %s: %v", k, err)
			}
			scope.declare(k, v, true)
			continue
		}
		if meta != scope {
			if v, ok := meta.lookup(k); ok {
				scope.declare(k, v, true)
				continue
			}
		}
		scope.declare(k, "", false)
	}
	return nil
}

func (b *builder) unusedArgs() {
	var unused []string
	for k := range b.o.BuildArgs {
		if !b.used[k] && !proxyArgs[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		b.warn(fmt.Sprintf("one or more build args were not consumed: %s", strings.Join(unused, ", ")))
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
