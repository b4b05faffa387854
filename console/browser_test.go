package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium driving one env's console, with the
// page's console errors and JavaScript dialogs recorded.
type browser struct {
	t   *testing.T
	e   *env
	ctx context.Context
	dir string // screenshots; removed when the test passes

	shots   atomic.Int32
	dialogs atomic.Int32
	mu      sync.Mutex
	errs    []string // exceptions and CSP violations
}

// chromium returns the browser to drive. Without one the browser tests
// skip, except under CI=true where they fail.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	for _, p := range []string{os.Getenv("SUNDIAL_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed (apt-get install chromium); the console's browser tests need it under CI")
	}
	t.Skip("Chromium is not installed (apt-get install chromium); skipping the console's browser tests")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile for e and
// stops it when the test ends. The width and height are the window's.
// Screenshots are kept when the test fails, or always with
// SUNDIAL_KEEP_SCREENSHOTS set.
func newBrowser(t *testing.T, e *env, width, height int) *browser {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(width, height),
		// No internet here: keep Chromium from calling home.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,InterestFeedContentSuggestions"),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "en-US"),
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	b := &browser{t: t, e: e, ctx: ctx}
	dir, err := os.MkdirTemp("", "sundial-console-"+strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())+"-")
	if err != nil {
		t.Fatal(err)
	}
	b.dir = dir
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		if t.Failed() || os.Getenv("SUNDIAL_KEEP_SCREENSHOTS") != "" {
			t.Logf("screenshots of %s kept in %s", t.Name(), dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	})
	// Start the browser with no deadline (a deadline on the first run would
	// stop it); later steps run under b.run's timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				b.mu.Lock()
				b.errs = append(b.errs, m.String())
				b.mu.Unlock()
			}
		}
	}()
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			b.dialogs.Add(1)
			go func() { _, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{}) }()
		}
	}); err != nil {
		t.Fatal(err)
	}
	// Registered after the browser's cleanup, so it runs before it: the
	// last screen of a failed test, and the page's errors of any test.
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot("failed")
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errs {
			t.Errorf("browser console: %s", e)
		}
	})
	return b
}

// run runs browser steps with a bound, failing the test (with a
// screenshot) on error.
func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (page %s)", what, err, b.location())
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its value into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	if err := json.Unmarshal(v, out); err != nil {
		b.t.Fatalf("evaluate %s: decode %s: %v", expr, v, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s: %v (page %s)", sel, err, b.location())
	}
	return s
}

func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// screenshot saves the whole page as <dir>/<n>-<name>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	n := b.shots.Add(1)
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", n, name)), png, 0o644); err != nil {
		b.t.Log(err)
	}
}

// open loads a console page and waits for it to be ready.
func (b *browser) open(path string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.e.ts.URL+path), chromedp.WaitReady(chromedp.CSS("footer.foot")))
}

// login signs in through the sign-in form.
func (b *browser) login(name string) {
	b.t.Helper()
	b.open("/login")
	b.run("sign in as "+name,
		chromedp.SendKeys(chromedp.CSS("#login-name"), name),
		chromedp.SendKeys(chromedp.CSS("#login-password"), name+"-pw"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#who-name")),
	)
}

// typeInto replaces an input's text by typing, so the page sees input
// events as from a person. (chromedp.Clear resets only the value
// attribute, which a field that was typed into no longer follows.)
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.value = ''; return true; })()`, sel), &ok)
	if !ok {
		b.t.Fatalf("type into %s: no such element", sel)
	}
	b.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// choose selects an option of a select element and tells the page.
func (b *browser) choose(sel, value string) {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false;
		e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return e.value === %q; })()`, sel, value, value), &ok)
	if !ok {
		b.t.Fatalf("choose %q in %s: no such element or option", value, sel)
	}
}

// waitFor polls a JavaScript predicate until it is true.
func (b *browser) waitFor(what, predicate string) {
	b.t.Helper()
	b.run(what, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))(ctx, t)
		return chromedp.Void{}, err
	})
}

// nodeCount answers how many elements match a CSS selector.
func (b *browser) nodeCount(sel string) int {
	b.t.Helper()
	var n int
	b.eval(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n)
	return n
}
