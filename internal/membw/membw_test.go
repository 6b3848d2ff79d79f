package membw

import "testing"

func TestReadPlausible(t *testing.T) {
	bw := Read(64<<20, 3)
	// Any machine that runs Go reads faster than 100 MB/s and slower than 10 TB/s.
	if bw < 1e8 || bw > 1e13 {
		t.Fatalf("implausible bandwidth %.3g B/s", bw)
	}
}
