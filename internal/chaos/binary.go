package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binary is the sundial program the nodes run, built once per test binary.
type Binary struct {
	// Path is the executable.
	Path string
	// StoreTimeoutKey says whether "sundial serve" reads a store_timeout
	// key (the bound of every store call the scheduler makes); without it
	// the nodes use the library's default of 30s.
	StoreTimeoutKey bool
}

// Build builds ./cmd/sundial of the module that holds the working
// directory (found with "go env GOMOD") into dir. SUNDIAL_CHAOS_BIN names
// a sundial binary to use instead (another build, a release).
func Build(dir string) (*Binary, error) {
	if path := os.Getenv("SUNDIAL_CHAOS_BIN"); path != "" {
		return probe(&Binary{Path: path}, dir)
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return nil, fmt.Errorf("not inside a module (go env GOMOD = %q)", mod)
	}
	bin := filepath.Join(dir, "sundial")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sundial")
	cmd.Dir = filepath.Dir(mod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/sundial: %w\n%s", err, b)
	}
	return probe(&Binary{Path: bin}, dir)
}

// probe finds out what the binary's configuration knows.
func probe(b *Binary, dir string) (*Binary, error) {
	// Does serve know store_timeout? "config check" refuses unknown keys.
	probe := filepath.Join(dir, "probe.yaml")
	if err := os.WriteFile(probe, []byte("store: memory://\nstore_timeout: 2s\n"), 0o600); err != nil {
		return nil, err
	}
	b.StoreTimeoutKey = exec.Command(b.Path, "config", "check", probe).Run() == nil
	return b, nil
}
