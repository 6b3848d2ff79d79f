package api

import "testing"

func TestParseAmount(t *testing.T) {
	good := map[string]uint64{
		"1": 100_000_000, "1.5": 150_000_000, "0.00000001": 1, ".5": 50_000_000, "2.": 200_000_000,
		"1.5gc": 150_000_000, "3 GC": 300_000_000, "1500u": 1500, "7 units": 7, "0u": 0,
		"184467440737.09551615": 1<<64 - 1, "18446744073709551615u": 1<<64 - 1,
	}
	for s, want := range good {
		got, err := ParseAmount(s)
		if err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "gc", "u", "-1", "1e3", "1.000000001", "1.5u", "abc", "1..2", ".", "184467440737.09551616",
		"18446744073709551616u", "1,5", "+1"} {
		if v, err := ParseAmount(s); err == nil {
			t.Errorf("ParseAmount(%q) = %d, want an error", s, v)
		}
	}
}

func TestFormatGC(t *testing.T) {
	for units, want := range map[uint64]string{0: "0", 1: "0.00000001", 150_000_000: "1.5", 5_000_000_000: "50",
		123_456_789: "1.23456789", 1<<64 - 1: "184467440737.09551615"} {
		if got := FormatGC(units); got != want {
			t.Errorf("FormatGC(%d) = %q, want %q", units, got, want)
		}
		if back, err := ParseAmount(FormatGC(units)); err != nil || back != units {
			t.Errorf("round trip of %d: %d %v", units, back, err)
		}
	}
}
