package store

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const modulePath = "github.com/sketchwork/sketchwork"

func goTool(t *testing.T) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(p); err != nil {
		t.Skip("go tool not found")
	}
	return p
}

// TestOnlyStoreImportsBbolt: no package of the module outside ledger/store
// imports bbolt, and the consensus packages that sit on top of the store
// (chain, pogw) do not reach it even indirectly: they see only the
// store.Store interface.
func TestOnlyStoreImportsBbolt(t *testing.T) {
	out, err := exec.Command(goTool(t), "list", "-e", "-f", "{{.ImportPath}}|{{join .Imports \",\"}}", modulePath+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		n++
		for _, im := range strings.Split(imports, ",") {
			if strings.HasPrefix(im, "go.etcd.io/bbolt") && !strings.HasPrefix(pkg, modulePath+"/ledger/store") {
				t.Errorf("%s imports %s: only ledger/store/... may", pkg, im)
			}
		}
	}
	if n < 10 {
		t.Fatalf("go list returned only %d packages", n)
	}
	for _, p := range []string{"ledger/chain", "ledger/pogw", "ledger/store"} {
		deps, err := exec.Command(goTool(t), "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", modulePath+"/"+p).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(deps)), "\n") {
			path, std, _ := strings.Cut(line, " ")
			if std == "true" || strings.HasPrefix(path, modulePath+"/ledger/") {
				continue
			}
			t.Errorf("%s depends on %s (only the standard library and ledger packages are allowed)", p, path)
		}
	}
}
