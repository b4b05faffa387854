package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release this binary was built from. Release builds set it:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/sundial
var version = "dev"

const versionUsage = `Usage: sundial version

Prints the version of this build of sundial and the Go version it was built
with.
`

func runVersion(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := newFlagSet("version")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printFlagUsage(stdout, fs, versionUsage)
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	_, err = fmt.Fprintf(stdout, "sundial %s (%s %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// buildVersion is version, or the module version recorded by the Go tool
// when the binary was installed with "go install ...@vX.Y.Z" and no version
// was set at link time.
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}
