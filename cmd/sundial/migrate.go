package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/sundial-scheduler/sundial/store/storeurl"
)

const migrateUsage = `Usage: sundial migrate [--store URL]

Creates or upgrades the store's schema (tables, indexes, triggers; Redis
keys) to this build's version and exits. Stores also migrate themselves
when the scheduler opens them; run this to do it ahead of a deployment, as
a user allowed to change the schema.

Store URLs: sqlite://./sundial.db, postgres://user:pass@host/db,
mysql://user:pass@host:3306/db, redis://host:6379/0?prefix=sundial:
`

func runMigrate(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := newFlagSet("migrate")
	store := fs.String("store", "sqlite://./sundial.db", "the store `URL`")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printFlagUsage(stdout, fs, migrateUsage)
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (the store is given with --store)", pos[0])
	}
	st, err := storeurl.Open(ctx, *store, storeurl.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("%s: %w", storeurl.Redact(*store), err)
	}
	fmt.Fprintf(stdout, "%s: schema is up to date\n", storeurl.Redact(*store))
	return nil
}
