package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	if c, err := Load(p); err != nil || len(c.Registries.Insecure) != 0 {
		t.Fatalf("missing file: %v %v", c, err)
	}
	os.WriteFile(p, []byte("registries:\n  insecure: [reg.lan:5000]\n  mirrors:\n    - mirror.lan\n"), 0o644)
	c, err := Load(p)
	if err != nil || c.Registries.Insecure[0] != "reg.lan:5000" || c.Registries.Mirrors[0] != "mirror.lan" {
		t.Fatalf("%+v %v", c, err)
	}
	os.WriteFile(p, []byte("registries:\n  insecur: [x]\n"), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "insecur") || !strings.Contains(err.Error(), p) {
		t.Fatalf("unknown key: %v", err)
	}
	os.WriteFile(p, []byte(""), 0o644)
	if _, err := Load(p); err != nil {
		t.Fatalf("empty file: %v", err)
	}
}
