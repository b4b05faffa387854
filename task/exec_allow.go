package task

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// allowList decides which programs sundial:exec may run: bare names listed
// as such, and clean absolute paths matching a listed glob.
type allowList struct {
	names []string // bare names: "python3"
	globs []string // clean absolute path patterns: "/opt/jobs/*"
}

// newAllowList sorts the entries of ExecConfig.Allow into names and globs.
// An entry that is neither (see checkAllowEntry) can match nothing and is
// left out; ExecConfig.Validate reports it.
func newAllowList(entries []string) allowList {
	var a allowList
	for _, e := range entries {
		switch {
		case checkAllowEntry(e) != nil:
		case filepath.IsAbs(e):
			a.globs = append(a.globs, e)
		default:
			a.names = append(a.names, e)
		}
	}
	return a
}

// checkAllowEntry says what is wrong with an entry of ExecConfig.Allow.
func checkAllowEntry(e string) error {
	switch {
	case e == "":
		return errors.New("is empty")
	case strings.IndexByte(e, 0) >= 0:
		return errors.New("contains a NUL byte")
	case filepath.IsAbs(e):
		if filepath.Clean(e) != e {
			return fmt.Errorf("is not a clean path (write %q)", filepath.Clean(e))
		}
		if _, err := filepath.Match(e, ""); err != nil {
			return fmt.Errorf("is not a valid glob: %w", err)
		}
	case strings.ContainsRune(e, '/'):
		return errors.New("is a relative path: list an absolute path (glob) or a bare program name")
	case strings.ContainsAny(e, `*?[\`):
		return errors.New("is a bare name with glob characters: bare names match exactly; use an absolute path glob")
	}
	return nil
}

func (a allowList) empty() bool { return len(a.names) == 0 && len(a.globs) == 0 }

// check refuses a program that the list does not allow, saying why.
func (a allowList) check(prog string) error {
	switch {
	case prog == "":
		return errors.New("the program name is empty")
	case strings.IndexByte(prog, 0) >= 0:
		return errors.New("the program name contains a NUL byte")
	case filepath.IsAbs(prog):
		if filepath.Clean(prog) != prog {
			return fmt.Errorf("program %q is not a clean absolute path", prog)
		}
		for _, g := range a.globs {
			if ok, _ := filepath.Match(g, prog); ok {
				return nil
			}
		}
		return fmt.Errorf("program %q is not allowed: it matches no path in config exec.allow", prog)
	case strings.ContainsRune(prog, '/'):
		return fmt.Errorf("program %q is a relative path: give a bare name or an absolute path", prog)
	case slices.Contains(a.names, prog):
		return nil
	default:
		return fmt.Errorf("program %q is not allowed: config exec.allow does not list it", prog)
	}
}

// resolve returns the path to execute for an allowed program: an absolute
// path as is, a bare name looked up in the server's PATH (never the job's:
// a job cannot redirect an allowed name to a program of its choosing).
func (a allowList) resolve(prog string) (string, error) {
	if filepath.IsAbs(prog) {
		return prog, nil
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return "", fmt.Errorf("find program %q: %w", prog, err)
	}
	if !filepath.IsAbs(path) {
		// LookPath refuses relative PATH entries (exec.ErrDot); keep the
		// promise that only absolute paths run even if that changes.
		return "", fmt.Errorf("find program %q: resolved to relative path %q", prog, path)
	}
	return path, nil
}
