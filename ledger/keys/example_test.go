package keys_test

import (
	"bytes"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/keys"
)

func ExampleVerify() {
	k, _ := keys.FromSeed(bytes.Repeat([]byte{42}, keys.SeedSize)) // tests only; use keys.Generate(crypto/rand.Reader)
	sig := k.Sign([]byte("hello"))
	fmt.Println(keys.Verify(k.Address(), []byte("hello"), sig))
	fmt.Println(keys.Verify(k.Address(), []byte("hullo"), sig))
	// Output:
	// true
	// false
}
