package experiment

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Python anchors: NumPy/SciPy baselines run by scripts in bench/anchors with
// Debian's /usr/bin/python3, in the same run as the Go measurement. When the
// interpreter, NumPy/SciPy or the script is missing, the anchor is skipped
// with a reason that the benchmark prints.

// SystemPython is the interpreter the anchors use (the python3 first on PATH
// may be another installation without Debian's NumPy/SciPy).
const SystemPython = "/usr/bin/python3"

// anchorScript finds bench/anchors/NAME by walking up from the working
// directory to the module root.
func anchorScript(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "bench", "anchors", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return "", fmt.Errorf("anchor script bench/anchors/%s not found under %s", name, dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("anchor script bench/anchors/%s not found (run from the repository)", name)
		}
		dir = parent
	}
}

// errSkipped marks an anchor that could not run on this machine.
var errSkipped = errors.New("anchor skipped")

// runAnchor runs SystemPython SCRIPT DIR with two BLAS threads and decodes
// its JSON output into out. A missing interpreter, library or script returns
// an error wrapping errSkipped with the reason.
func runAnchor(script, dir string, timeout time.Duration, out any) error {
	if _, err := os.Stat(SystemPython); err != nil {
		return fmt.Errorf("%w: %s not found (install Debian's python3-numpy python3-scipy)", errSkipped, SystemPython)
	}
	path, err := anchorScript(script)
	if err != nil {
		return fmt.Errorf("%w: %v", errSkipped, err)
	}
	cmd := exec.Command(SystemPython, path, dir)
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS=2", "OMP_NUM_THREADS=2", "MKL_NUM_THREADS=2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %v", errSkipped, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("anchor %s timed out after %s", script, timeout)
	}
	var skip struct {
		Skipped string `json:"skipped"`
	}
	if json.Unmarshal(stdout.Bytes(), &skip) == nil && skip.Skipped != "" {
		return fmt.Errorf("%w: %s", errSkipped, skip.Skipped)
	}
	if err != nil {
		return fmt.Errorf("anchor %s failed: %v: %s", script, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return json.Unmarshal(stdout.Bytes(), out)
}

// writeRaw writes numbers little-endian to path, 64 Ki elements at a time
// so that memory stays bounded whatever the length (binary.Write on the
// whole slice would allocate a copy of it).
func writeRaw[T float64 | int64 | int32](path string, data []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	const chunk = 1 << 16
	for lo := 0; lo < len(data) && err == nil; lo += chunk {
		err = binary.Write(w, binary.LittleEndian, data[lo:min(lo+chunk, len(data))])
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readRaw reads n little-endian float64 values from path.
func readRaw(path string, n int) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) != 8*n {
		return nil, fmt.Errorf("%s: %d bytes, want %d", path, len(b), 8*n)
	}
	out := make([]float64, n)
	if err := binary.Read(bytes.NewReader(b), binary.LittleEndian, out); err != nil {
		return nil, err
	}
	return out, nil
}
