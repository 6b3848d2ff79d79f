package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 8032 section 7.1, TEST 1.
func TestRFC8032Vector(t *testing.T) {
	k, err := FromSeed(mustHex(t, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Address().String(); got != "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" {
		t.Fatalf("public key %s", got)
	}
	sig := k.Sign(nil)
	want := "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
	if hex.EncodeToString(sig[:]) != want {
		t.Fatalf("signature %x", sig)
	}
	if !Verify(k.Address(), nil, sig) {
		t.Fatal("RFC signature does not verify")
	}
}

func TestSignVerifyTamper(t *testing.T) {
	k, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := Generate(rand.Reader)
	msg := []byte("gc/tx/v1 payload")
	sig := k.Sign(msg)
	if !Verify(k.Address(), msg, sig) {
		t.Fatal("valid signature rejected")
	}
	if Verify(other.Address(), msg, sig) {
		t.Fatal("signature accepted for another key")
	}
	for i := 0; i < len(msg); i++ {
		m := bytes.Clone(msg)
		m[i] ^= 1
		if Verify(k.Address(), m, sig) {
			t.Fatalf("flipped message byte %d accepted", i)
		}
	}
	for i := 0; i < SignatureSize; i++ {
		s := sig
		s[i] ^= 0x10
		if Verify(k.Address(), msg, s) {
			t.Fatalf("flipped signature byte %d accepted", i)
		}
	}
	if Verify(Address{}, msg, sig) {
		t.Fatal("zero address verified")
	}
	if _, err := Generate(nil); !errors.Is(err, ErrNilRand) {
		t.Fatal("nil randomness accepted")
	}
	if _, err := FromSeed(make([]byte, 31)); err == nil {
		t.Fatal("short seed accepted")
	}
}

func TestAddressText(t *testing.T) {
	k, _ := FromSeed(bytes.Repeat([]byte{7}, 32))
	a := k.Address()
	s := a.String()
	if s != strings.ToLower(s) || len(s) != 64 {
		t.Fatalf("address text %q is not 64 lowercase hex digits", s)
	}
	b, err := ParseAddress(s)
	if err != nil || b != a {
		t.Fatal("ParseAddress(String) round trip failed")
	}
	for _, bad := range []string{"", s[:62], s + "00", "g" + s[1:]} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) accepted", bad)
		}
	}
	var u Address
	if err := u.UnmarshalText([]byte(s)); err != nil || u != a {
		t.Fatal("UnmarshalText failed")
	}
}

func TestKeyFileRoundTripAndMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wallet.key")
	k, _ := Generate(rand.Reader)
	if err := WriteKeyFile(p, k); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", st.Mode().Perm())
	}
	back, err := ReadKeyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if back.Address() != k.Address() || !bytes.Equal(back.Seed(), k.Seed()) {
		t.Fatal("key file round trip changed the key")
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries after write, want 1", len(ents))
	}
	// Never overwrite an existing key.
	k2, _ := Generate(rand.Reader)
	if err := WriteKeyFile(p, k2); !errors.Is(err, ErrKeyFileExists) {
		t.Fatalf("overwrite: %v", err)
	}
	if back, _ := ReadKeyFile(p); back.Address() != k.Address() {
		t.Fatal("existing key was replaced")
	}
}

func TestKeyFileRejectsOpenPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	p := filepath.Join(t.TempDir(), "k")
	k, _ := Generate(rand.Reader)
	if err := WriteKeyFile(p, k); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660, 0o610} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		_, err := ReadKeyFile(p)
		if !errors.Is(err, ErrKeyFilePerm) || !strings.Contains(err.Error(), "0600") {
			t.Fatalf("mode %04o: %v", mode, err)
		}
	}
	os.Chmod(p, 0o400)
	if _, err := ReadKeyFile(p); err != nil {
		t.Fatalf("read-only owner file rejected: %v", err)
	}
}

func TestKeyFileRejectsBadFormat(t *testing.T) {
	k, _ := FromSeed(bytes.Repeat([]byte{1}, 32))
	other, _ := FromSeed(bytes.Repeat([]byte{2}, 32))
	seed := hex.EncodeToString(k.Seed())
	addr := k.Address().String()
	cases := map[string]string{
		"empty":         ``,
		"not json":      `seed=` + seed,
		"unknown field": `{"type":"` + KeyFileType + `","seed":"` + seed + `","address":"` + addr + `","extra":1}`,
		"wrong type":    `{"type":"rsa","seed":"` + seed + `","address":"` + addr + `"}`,
		"missing seed":  `{"type":"` + KeyFileType + `","address":"` + addr + `"}`,
		"short seed":    `{"type":"` + KeyFileType + `","seed":"` + seed[:62] + `","address":"` + addr + `"}`,
		"wrong address": `{"type":"` + KeyFileType + `","seed":"` + seed + `","address":"` + other.Address().String() + `"}`,
		"trailing data": `{"type":"` + KeyFileType + `","seed":"` + seed + `","address":"` + addr + `"} {}`,
		"too large":     strings.Repeat(" ", 5000),
	}
	dir := t.TempDir()
	i := 0
	for name, content := range cases {
		p := filepath.Join(dir, "k"+string(rune('a'+i)))
		i++
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadKeyFile(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte(`{"type":"`+KeyFileType+`","seed":"`+seed+`","address":"`+addr+`"}`), 0o600)
	if _, err := ReadKeyFile(good); err != nil {
		t.Fatalf("hand-written valid file rejected: %v", err)
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
}
