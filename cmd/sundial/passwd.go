package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

const passwdUsage = `Usage: sundial passwd [--token] [--cost N]

Prints a bcrypt hash of a password for auth.users[].password_hash. The
password is read from the terminal (twice, not echoed) or, when standard
input is not a terminal, from its first line, so scripts can pipe it in.

With --token it prints a new random bearer token and its hash for
auth.tokens[].token_hash instead. The token is shown once: keep it.
`

func runPasswd(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("passwd")
	token := fs.Bool("token", false, "make a new bearer token instead of hashing a password")
	cost := fs.Int("cost", 12, "bcrypt `cost` (10 to 16)")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printFlagUsage(stdout, fs, passwdUsage)
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *cost < 10 || *cost > 16 {
		return usagef("--cost must be from 10 to 16")
	}
	if *token {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		tok := "sdl_" + base64.RawURLEncoding.EncodeToString(b)
		sum := sha256.Sum256([]byte(tok))
		_, err := fmt.Fprintf(stdout, "token: %s\ntoken_hash: sha256:%s\n", tok, hex.EncodeToString(sum[:]))
		return err
	}
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	if len(pw) < 8 {
		return errors.New("the password must have at least 8 characters")
	}
	if len(pw) > 72 {
		return errors.New("the password must have at most 72 bytes (bcrypt's limit)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), *cost)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(h))
	return err
}

// readPassword reads a password from the terminal (asked twice) or the
// first line of a non-terminal standard input.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
