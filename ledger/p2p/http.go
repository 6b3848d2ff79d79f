package p2p

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// Info is the answer of GET /v1/p2p/info.
type Info struct {
	ID      string     `json:"id"`
	Network string     `json:"network"`
	Addrs   []string   `json:"addrs"`
	Peers   []PeerInfo `json:"peers"`
	Syncing bool       `json:"syncing"`
	Stats   Stats      `json:"stats"`
}

// PartitionRequest is the body of POST /admin/partition.
type PartitionRequest struct {
	// Deny lists the peer IDs to cut off until POST /admin/heal.
	Deny []string `json:"deny"`
}

// Handler returns the node's HTTP endpoints, for the node to mount next
// to its API:
//
//	GET  /v1/p2p/info                 id, listen addrs, peers, counters
//	GET  /v1/p2p/bans                 ban records
//	GET  /v1/p2p/arrivals?from=H      first arrival of each block >= H
//	POST /admin/partition {deny:[id]} (admin only) cut these peers off
//	POST /admin/heal                  (admin only) lift the partition
//
// The admin endpoints exist only when admin is set (gcoind --test-admin).
func (n *Node) Handler(admin bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/p2p/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Info{ID: n.ID(), Network: n.cfg.Network, Addrs: n.Addrs(),
			Peers: n.PeerList(), Syncing: n.Syncing(), Stats: n.Stats()})
	})
	mux.HandleFunc("GET /v1/p2p/bans", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, n.Bans())
	})
	mux.HandleFunc("GET /v1/p2p/arrivals", func(w http.ResponseWriter, r *http.Request) {
		from := uint64(0)
		if s := r.URL.Query().Get("from"); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "from: " + err.Error(), "code": "bad_request"})
				return
			}
			from = v
		}
		writeJSON(w, http.StatusOK, n.Arrivals(from))
	})
	if admin {
		mux.HandleFunc("POST /admin/partition", func(w http.ResponseWriter, r *http.Request) {
			var req PartitionRequest
			dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "code": "bad_request"})
				return
			}
			if err := n.Partition(req.Deny); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "code": "bad_request"})
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"denied": req.Deny})
		})
		mux.HandleFunc("POST /admin/heal", func(w http.ResponseWriter, r *http.Request) {
			n.Heal()
			writeJSON(w, http.StatusOK, map[string]any{"healed": true})
		})
	}
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
