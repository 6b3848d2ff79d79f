package keys

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// KeyFileType is the "type" field of a key file.
const KeyFileType = "gc-ed25519-seed-v1"

// keyFile is the JSON layout of a key file.
type keyFile struct {
	Type    string `json:"type"`
	Seed    string `json:"seed"`
	Address string `json:"address"`
}

// ErrKeyFileExists is returned by WriteKeyFile when the path already exists.
var ErrKeyFileExists = errors.New("keys: key file already exists")

// ErrKeyFilePerm is returned by ReadKeyFile when the file is readable or
// writable by group or others.
var ErrKeyFilePerm = errors.New("keys: key file permissions too open")

// maxKeyFile bounds what ReadKeyFile reads.
const maxKeyFile = 4096

// WriteKeyFile writes k to path with mode 0600: the JSON goes to a temporary
// file in the same directory, which is fsynced, then linked to path (which
// fails if path exists, so an existing key is never replaced), then the
// directory is fsynced so the new name survives a crash.
func WriteKeyFile(path string, k *PrivateKey) (err error) {
	data, err := json.MarshalIndent(keyFile{
		Type:    KeyFileType,
		Seed:    hex.EncodeToString(k.priv.Seed()),
		Address: k.addr.String(),
	}, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrKeyFileExists, path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("keys: creating temporary key file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		os.Remove(tmp)
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("keys: chmod %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("keys: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("keys: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keys: closing %s: %w", tmp, err)
	}
	f = nil
	// Link is an atomic create-if-absent: the complete file appears under
	// path or nothing does. The deferred Remove drops the temporary name.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s", ErrKeyFileExists, path)
		}
		return fmt.Errorf("keys: linking %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keys: opening directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("keys: fsync directory %s: %w", dir, err)
	}
	return nil
}

// ReadKeyFile loads a key written by WriteKeyFile. It fails with
// ErrKeyFilePerm if any group/other permission bit is set (on systems with
// Unix permissions), and with a descriptive error on malformed content:
// unknown or missing fields, a wrong type tag, a bad seed, or an address that
// does not belong to the seed.
func ReadKeyFile(path string) (*PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("keys: %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600 (run chmod 600 %s)",
			ErrKeyFilePerm, path, st.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("keys: reading %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("keys: %s: larger than %d bytes, not a key file", path, maxKeyFile)
	}
	k, err := parseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	return k, nil
}

func parseKeyFile(data []byte) (*PrivateKey, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var kf keyFile
	if err := dec.Decode(&kf); err != nil {
		return nil, fmt.Errorf("malformed key file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("malformed key file: data after the JSON object")
	}
	if kf.Type != KeyFileType {
		return nil, fmt.Errorf("key file type %q, want %q", kf.Type, KeyFileType)
	}
	seed, err := hex.DecodeString(kf.Seed)
	if err != nil || len(seed) != SeedSize {
		return nil, fmt.Errorf("seed must be %d hex digits", 2*SeedSize)
	}
	k, err := FromSeed(seed)
	if err != nil {
		return nil, err
	}
	addr, err := ParseAddress(kf.Address)
	if err != nil {
		return nil, err
	}
	if addr != k.addr {
		return nil, fmt.Errorf("address %s does not match the seed (derives %s)", addr, k.addr)
	}
	return k, nil
}
