package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestPasswdHashesStdin(t *testing.T) {
	t.Parallel()
	r := runCmd(t, "correct horse battery\n", "passwd", "--cost", "10")
	if r.err != nil {
		t.Fatal(r.err)
	}
	hash := strings.TrimSpace(r.stdout)
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery")); err != nil {
		t.Fatalf("hash %q does not match the password: %v", hash, err)
	}
	if r := runCmd(t, "short\n", "passwd"); r.err == nil {
		t.Fatal("a 5-character password was hashed")
	}
	if r := runCmd(t, "", "passwd"); r.err == nil {
		t.Fatal("empty standard input was hashed")
	}
}

func TestPasswdToken(t *testing.T) {
	t.Parallel()
	r := runCmd(t, "", "passwd", "--token")
	if r.err != nil {
		t.Fatal(r.err)
	}
	var token, hash string
	for _, l := range lines(r.stdout) {
		if v, ok := strings.CutPrefix(l, "token: "); ok {
			token = v
		}
		if v, ok := strings.CutPrefix(l, "token_hash: "); ok {
			hash = v
		}
	}
	sum := sha256.Sum256([]byte(token))
	if len(token) < 40 || hash != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("token %q, hash %q", token, hash)
	}
	if again := runCmd(t, "", "passwd", "--token"); again.stdout == r.stdout {
		t.Fatal("two tokens are the same")
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(good, []byte("listen: 127.0.0.1:9000\nstore: memory://\njobs:\n  - {id: a, func: \"sundial:noop\", trigger: cron, hour: 2}\n"), 0o600)
	_ = os.WriteFile(bad, []byte("listen: 127.0.0.1:9000\nexecutors:\n  scripts: {workers: -1}\njobs:\n  - {id: a, func: \"sundial:noop\", trigger: cron, hour: 24}\n"), 0o600)
	r := runCmd(t, "", "config", "check", good)
	if r.err != nil || !strings.Contains(r.stdout, "ok (1 declared jobs") {
		t.Fatalf("good file: %v %q", r.err, r.stdout)
	}
	r = runCmd(t, "", "config", "check", bad)
	if r.err == nil || exitCode(r.err) != 1 || !strings.Contains(r.err.Error(), "line 3: executors.scripts.workers") {
		t.Fatalf("bad file: %v", r.err)
	}
	if r := runCmd(t, "", "config", "lint", good); exitCode(r.err) != 2 {
		t.Fatalf("config lint: %v, want a usage error", r.err)
	}
}
