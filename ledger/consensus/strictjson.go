package consensus

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// strictUnmarshal decodes data into v (a pointer to a struct) and rejects
// anything a lenient decoder would let through: unknown, missing, duplicate
// or case-variant keys, null values, and data after the top-level value.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := walkShape(dec, reflect.TypeOf(v).Elem(), "$"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the top-level JSON value")
	}
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// walkShape consumes one JSON value from dec and checks that its shape
// matches t exactly.
func walkShape(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if tok == nil {
		return fmt.Errorf("%s: null is not allowed", path)
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) || t.Kind() != reflect.Struct && t.Kind() != reflect.Slice {
		if _, isDelim := tok.(json.Delim); isDelim {
			return fmt.Errorf("%s: expected a scalar, found %v", path, tok)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Slice:
		if tok != json.Delim('[') {
			return fmt.Errorf("%s: expected an array", path)
		}
		for i := 0; dec.More(); i++ {
			if err := walkShape(dec, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	default: // struct
		if tok != json.Delim('{') {
			return fmt.Errorf("%s: expected an object", path)
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			key := kt.(string)
			ft, ok := fields[key]
			if !ok {
				return fmt.Errorf("%s: unknown field %q", path, key)
			}
			if seen[key] {
				return fmt.Errorf("%s: duplicate field %q", path, key)
			}
			seen[key] = true
			if err := walkShape(dec, ft, path+"."+key); err != nil {
				return err
			}
		}
		for name := range fields {
			if !seen[name] {
				return fmt.Errorf("%s: missing field %q", path, name)
			}
		}
		_, err := dec.Token() // '}'
		return err
	}
}
