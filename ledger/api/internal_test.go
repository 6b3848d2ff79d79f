package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/model"
)

// TestLimiter: a bucket of burst tokens refilled at rate; separate IPs
// have separate buckets; idle buckets are swept.
func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(2, 3, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Errorf("4th request: ok=%v wait=%v, want refused with 500ms", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("another IP shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.allow("a"); !ok {
		t.Error("no token after 1/rate seconds")
	}
	if ok, _ := l.allow("a"); ok {
		t.Error("two tokens after 1/rate seconds")
	}
	now = now.Add(10 * time.Minute)
	l.allow("c")
	if l.size() != 1 {
		t.Errorf("%d buckets after the sweep, want 1", l.size())
	}
}

// TestGenerationSlots: with every slot taken, a generation waits
// GenerationWait and gets 503 busy; freeing a slot lets it through.
func TestGenerationSlots(t *testing.T) {
	s := &Server{opts: Options{Generations: 1, GenerationWait: 50 * time.Millisecond}.Resolve(),
		gen: make(chan struct{}, 1), m: newMetrics(), log: slog.New(slog.DiscardHandler)}
	s.gen <- struct{}{} // a running generation
	t0 := time.Now()
	_, _, e := s.runGeneration(context.Background(), []byte("x"), model.GenParams{MaxTokens: 1})
	if e == nil || e.status != http.StatusServiceUnavailable || e.code != CodeBusy {
		t.Fatalf("with all slots busy: %v", e)
	}
	if d := time.Since(t0); d < 50*time.Millisecond {
		t.Errorf("gave up after %v, before GenerationWait", d)
	}
	if s.m.genBusy.Load() != 1 {
		t.Error("busy refusal not counted")
	}
}

// TestUnknownPath: the mux answers unknown paths with 404.
func TestUnknownPath(t *testing.T) {
	s := &Server{mux: http.NewServeMux(), m: newMetrics()}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/v2/nothing", strings.NewReader("")))
	if rec.Code != 404 {
		t.Errorf("unknown path: %d", rec.Code)
	}
}
