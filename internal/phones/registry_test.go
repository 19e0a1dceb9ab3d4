package phones

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T, fixed ...Phone) (*Registry, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "phones.json")
	r, err := Open(path, fixed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, path
}

var anna = Phone{Name: "Anna", Number: "+15551234567", Token: tokA}

func TestAddPersistsAndReloads(t *testing.T) {
	r, path := openTemp(t, anna)
	ben, err := r.Add(" Ben ", "+44 7700 900123")
	if err != nil {
		t.Fatal(err)
	}
	if ben.Name != "Ben" || ben.Number != "+447700900123" || ben.Fixed || ben.Paired.IsZero() {
		t.Fatalf("added %+v", ben)
	}
	if err := CheckToken(ben.Token); err != nil || len(ben.Token) < 24 {
		t.Fatalf("token %q: %v (want ≥ 144 bits)", ben.Token, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("phones file: %v, mode %v; want 0600 (it holds tokens)", err, fi.Mode())
	}
	r2, err := Open(path, []Phone{anna})
	if err != nil {
		t.Fatal(err)
	}
	got := r2.List()
	if len(got) != 2 || !got[0].Fixed || got[0].Name != "Anna" || got[1].Token != ben.Token || got[1].Fixed {
		t.Fatalf("reloaded %+v", got)
	}
	if p, ok := r2.ByToken(ben.Token); !ok || p.Name != "Ben" {
		t.Fatalf("ByToken after reload = %+v, %v", p, ok)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if len(leftovers) != 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}
}

func TestAddRefuses(t *testing.T) {
	r, _ := openTemp(t, anna)
	for _, c := range []struct{ name, number string }{
		{"", "+15550001111"},
		{"Bad\x07", "+15550001111"},
		{"Eve", "not a number"},
		{"Eve", "12"},
		{"Anna again", "5551234567"}, // Anna's number in national form
	} {
		if _, err := r.Add(c.name, c.number); err == nil {
			t.Errorf("Add(%q, %q) accepted", c.name, c.number)
		}
	}
	if _, err := r.Add("Anna again", "(555) 123-4567"); !errors.Is(err, ErrDupPhone) {
		t.Errorf("duplicate number: error = %v, want ErrDupPhone", err)
	}
	if r.Len() != 1 {
		t.Fatalf("Len = %d after refused adds, want 1", r.Len())
	}
}

func TestAddLimit(t *testing.T) {
	r, _ := openTemp(t)
	for i := range MaxPhones {
		if _, err := r.Add("p", fmt.Sprintf("+1555000%04d", i)); err != nil {
			t.Fatalf("phone %d: %v", i, err)
		}
	}
	if _, err := r.Add("one too many", "+15559999999"); !errors.Is(err, ErrTooManyPhones) {
		t.Fatalf("error = %v, want ErrTooManyPhones", err)
	}
}

func TestRemove(t *testing.T) {
	r, path := openTemp(t, anna)
	ben, err := r.Add("Ben", "+447700900123")
	if err != nil {
		t.Fatal(err)
	}
	r.Saw(ben.Token, Visit{Time: time.Now(), What: "send"})
	if err := r.Remove(anna.Token); !errors.Is(err, ErrFixed) {
		t.Fatalf("removing a fixed phone: %v, want ErrFixed", err)
	}
	if err := r.Remove("no-such-token-at-all"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing an unknown token: %v, want ErrNotFound", err)
	}
	if err := r.Remove(ben.Token); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.ByToken(ben.Token); ok {
		t.Fatal("removed phone still found by token")
	}
	if _, ok := r.LastVisit(ben.Token); ok {
		t.Fatal("removed phone's visit kept")
	}
	r2, err := Open(path, []Phone{anna})
	if err != nil || r2.Len() != 1 {
		t.Fatalf("after reload: %d phones, %v; want 1", r2.Len(), err)
	}
}

func TestByNumber(t *testing.T) {
	r, _ := openTemp(t, anna)
	ben, _ := r.Add("Ben", "07700 900123")
	for n, want := range map[string]string{
		"+15551234567/TYPE=PLMN": "Anna", "5551234567": "Anna", "07700900123": "Ben",
		"+447700900123": "Ben", // paired in national form, posted in international
		"+15550000000":  "",
	} {
		p, ok := r.ByNumber(n)
		if ok != (want != "") || p.Name != want {
			t.Errorf("ByNumber(%q) = %q, %v; want %q", n, p.Name, ok, want)
		}
	}
	_ = ben
}

func TestFallback(t *testing.T) {
	r, path := openTemp(t, anna)
	ben, _ := r.Add("Ben", "+447700900123")
	if err := r.SetFallback(anna.Token, true); err != nil {
		t.Fatal(err)
	}
	if err := r.SetFallback(ben.Token, true); err != nil {
		t.Fatal(err)
	}
	if err := r.SetFallback("unknown-token-xyz", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	r2, err := Open(path, []Phone{anna})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r2.List() {
		if !p.Fallback {
			t.Errorf("%s: Fallback lost on reload", p.Name)
		}
	}
	if err := r2.SetFallback(anna.Token, false); err != nil {
		t.Fatal(err)
	}
	if p, _ := r2.ByToken(anna.Token); p.Fallback {
		t.Fatal("Fallback not turned off")
	}
}

func TestVisitsFlushed(t *testing.T) {
	r, path := openTemp(t, anna)
	v := Visit{Time: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), Remote: "198.51.100.7:4242", UserAgent: "Nokia", What: "send"}
	r.Saw(anna.Token, v)
	if got, ok := r.LastVisit(anna.Token); !ok || got != v {
		t.Fatalf("LastVisit = %+v, %v", got, ok)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(path, []Phone{anna})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := r2.LastVisit(anna.Token); !ok || !got.Time.Equal(v.Time) || got.UserAgent != "Nokia" {
		t.Fatalf("after reload LastVisit = %+v, %v", got, ok)
	}
}

func TestOpenKeepsFixedOverPairedClash(t *testing.T) {
	r, path := openTemp(t)
	if _, err := r.Add("Anna (paired)", anna.Number); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(path, []Phone{anna}) // the owner then put Anna in -phones
	if err != nil {
		t.Fatal(err)
	}
	if r2.Len() != 1 || len(r2.Warnings()) != 1 || !strings.Contains(r2.Warnings()[0], "Anna (paired)") {
		t.Fatalf("Len %d, warnings %q; want the fixed phone only and one warning", r2.Len(), r2.Warnings())
	}
}

func TestOpenRefusesDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phones.json")
	os.WriteFile(path, []byte(`{"paired": [`), 0o600)
	if _, err := Open(path, nil); err == nil {
		t.Fatal("damaged phones.json accepted")
	}
}

func TestConcurrentUse(t *testing.T) {
	r, _ := openTemp(t, anna)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				r.ByToken(anna.Token)
				r.ByNumber("+15551234567")
				r.Saw(anna.Token, Visit{What: "send"})
				r.List()
				if j == 0 {
					r.Add("p", "+1555100000"+string(rune('0'+i)))
				}
			}
		})
	}
	wg.Wait()
	if r.Len() != 9 {
		t.Fatalf("Len = %d, want 9", r.Len())
	}
}

func TestNilRegistry(t *testing.T) {
	var r *Registry
	if _, ok := r.ByToken(tokA); ok || r.Len() != 0 || r.List() != nil {
		t.Fatal("nil registry knows a phone")
	}
	r.Saw(tokA, Visit{})
}

// TestMaxMessage sets the size limit of a fixed and a paired phone; both
// survive a reload, 0 goes back to the default, and a limit out of range
// is refused.
func TestMaxMessage(t *testing.T) {
	r, path := openTemp(t, anna)
	ben, _ := r.Add("Ben", "+447700900123")
	if p, _ := r.ByToken(ben.Token); p.Limit() != DefaultMaxMessage {
		t.Fatalf("default limit %d", p.Limit())
	}
	if err := r.SetMaxMessage(anna.Token, 300<<10); err != nil {
		t.Fatal(err)
	}
	if err := r.SetMaxMessage(ben.Token, 1<<20); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{-1, 1000, MaxMaxMessage + 1} {
		if err := r.SetMaxMessage(ben.Token, n); !errors.Is(err, ErrBadPhone) {
			t.Errorf("limit %d: %v", n, err)
		}
	}
	r2, err := Open(path, []Phone{anna})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := r2.ByNumber(anna.Number); p.Limit() != 300<<10 {
		t.Errorf("fixed phone's limit after reload: %d", p.Limit())
	}
	if p, _ := r2.ByToken(ben.Token); p.Limit() != 1<<20 {
		t.Errorf("paired phone's limit after reload: %d", p.Limit())
	}
	if err := r2.SetMaxMessage(anna.Token, 0); err != nil {
		t.Fatal(err)
	}
	if p, _ := r2.ByToken(anna.Token); p.MaxMessage != 0 || p.Limit() != DefaultMaxMessage {
		t.Errorf("limit not reset: %d", p.MaxMessage)
	}
}
