package consensus

import (
	"math/bits"

	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// CheckTxFields checks the state-independent rules of a transfer
// (section 3.2) except the signature: memo cap, Version, ChainID, a nonzero
// From (a zero From is a coinbase and is only allowed first in a block),
// From != To, Amount > 0, Fee >= MinFee and no overflow of Amount + Fee.
func CheckTxFields(p *Params, tx *types.Tx) error {
	if len(tx.Memo) > types.MaxMemo {
		return Errorf(ErrOversize, "memo of %d bytes > %d", len(tx.Memo), types.MaxMemo)
	}
	if tx.Version != types.TxVersion {
		return Errorf(ErrBadVersion, "tx version %d, want %d", tx.Version, types.TxVersion)
	}
	if tx.ChainID != p.ChainID {
		return Errorf(ErrBadChainID, "tx chain id %d, network %d", tx.ChainID, p.ChainID)
	}
	if tx.IsCoinbase() {
		return Errorf(ErrBadCoinbase, "transfer with the coinbase sender (zero From)")
	}
	if tx.From == tx.To {
		return Errorf(ErrSelfTransfer, "from == to (%s)", tx.From)
	}
	if tx.Amount == 0 {
		return Errorf(ErrZeroAmount, "amount is zero")
	}
	if tx.Fee < p.MinFee {
		return Errorf(ErrFeeTooLow, "fee %d < min fee %d", tx.Fee, p.MinFee)
	}
	if _, carry := bits.Add64(tx.Amount, tx.Fee, 0); carry != 0 {
		return Errorf(ErrOverflow, "amount %d + fee %d overflows", tx.Amount, tx.Fee)
	}
	return nil
}

// CheckTxSanity is CheckTxFields followed by the ed25519 signature check
// (ErrBadSignature): every state-independent rule of a transfer.
func CheckTxSanity(p *Params, tx *types.Tx) error {
	if err := CheckTxFields(p, tx); err != nil {
		return err
	}
	if !tx.VerifySig() {
		return Errorf(ErrBadSignature, "signature of tx %s does not verify for %s", tx.ID(), tx.From)
	}
	return nil
}

// CheckCoinbase checks the shape of a block's coinbase (section 3.2):
// Version 1, the network's ChainID, From zero, To == miner, Nonce == height,
// Fee 0, Sig zero, memo within its cap. The amount is checked when the block
// is applied (it needs the fees).
func CheckCoinbase(p *Params, tx *types.Tx, height uint64, miner keys.Address) error {
	switch {
	case !tx.IsCoinbase():
		return Errorf(ErrBadCoinbase, "first transaction is not a coinbase (from %s)", tx.From)
	case len(tx.Memo) > types.MaxMemo:
		return Errorf(ErrOversize, "coinbase memo of %d bytes", len(tx.Memo))
	case tx.Version != types.TxVersion:
		return Errorf(ErrBadCoinbase, "coinbase version %d", tx.Version)
	case tx.ChainID != p.ChainID:
		return Errorf(ErrBadCoinbase, "coinbase chain id %d, network %d", tx.ChainID, p.ChainID)
	case tx.To != miner:
		return Errorf(ErrBadCoinbase, "coinbase pays %s, header miner is %s", tx.To, miner)
	case tx.Nonce != height:
		return Errorf(ErrBadCoinbase, "coinbase nonce %d, height %d", tx.Nonce, height)
	case tx.Fee != 0:
		return Errorf(ErrBadCoinbase, "coinbase fee %d", tx.Fee)
	case tx.Sig != keys.Signature{}:
		return Errorf(ErrBadCoinbase, "coinbase signature not zero")
	}
	return nil
}

// CheckHeaderSanity checks what a header proves on its own (section 5.3
// steps 1-2): Version 1 and 1 <= Target <= PowLimit with BlockHash <= Target.
func CheckHeaderSanity(p *Params, h *types.Header) error {
	if h.Version != types.HeaderVersion {
		return Errorf(ErrBadVersion, "header version %d, want %d", h.Version, types.HeaderVersion)
	}
	return CheckProofOfWork(p, h.Hash(), h.Target)
}

// CheckBlockSanity performs every context-free check of a block, cheapest
// first (section 5.3 steps 1, 2 and 5): size and count caps, header sanity
// (version, PoW), at least one transaction, the coinbase first with the
// right shape and no other zero-From transaction, every transfer's fields
// and signature, no duplicate TxIDs, and the TxRoot. It does not need the
// parent or any state.
func CheckBlockSanity(p *Params, b *types.Block) error {
	if len(b.Txs) > types.MaxBlockTxs {
		return Errorf(ErrOversize, "%d transactions > %d", len(b.Txs), types.MaxBlockTxs)
	}
	if n := b.Size(); n > types.MaxBlockSize {
		return Errorf(ErrOversize, "block of %d bytes > %d", n, types.MaxBlockSize)
	}
	if err := CheckHeaderSanity(p, &b.Header); err != nil {
		return err
	}
	if len(b.Txs) == 0 {
		return Errorf(ErrBadCoinbase, "block has no coinbase")
	}
	if err := CheckCoinbase(p, b.Txs[0], b.Header.Height, b.Header.Miner); err != nil {
		return err
	}
	for i, tx := range b.Txs[1:] {
		if tx.IsCoinbase() {
			return Errorf(ErrBadCoinbase, "transaction %d has the coinbase sender", i+1)
		}
		if err := CheckTxFields(p, tx); err != nil {
			return err
		}
	}
	ids := make([]hashx.Hash, len(b.Txs))
	seen := make(map[hashx.Hash]struct{}, len(b.Txs))
	for i, tx := range b.Txs {
		ids[i] = tx.ID()
		if _, dup := seen[ids[i]]; dup {
			return Errorf(ErrDuplicateTx, "transaction %s appears twice", ids[i])
		}
		seen[ids[i]] = struct{}{}
	}
	if root := types.TxRootFromIDs(ids); root != b.Header.TxRoot {
		return Errorf(ErrBadTxRoot, "tx root %s, header says %s", root, b.Header.TxRoot)
	}
	for _, tx := range b.Txs[1:] {
		if !tx.VerifySig() {
			return Errorf(ErrBadSignature, "signature of tx %s does not verify for %s", tx.ID(), tx.From)
		}
	}
	return nil
}

// ParentInfo is what CheckHeaderContext needs to know about a parent.
type ParentInfo struct {
	Hash   hashx.Hash
	Height uint64
	// NextTarget is NextTarget(p, Height+1, parent target, ...) on the
	// parent's branch.
	NextTarget types.Target
	// MTP is the median time past of the MTPWindow blocks ending at the
	// parent.
	MTP int64
}

// CheckHeaderContext checks a header against its parent (section 5.3
// step 2 target equality and step 4): PrevHash, Height = parent + 1, Target
// = the retarget output, Time > MTP and Time <= now + MaxFutureDrift.
func CheckHeaderContext(p *Params, h *types.Header, parent ParentInfo, now int64) error {
	if h.PrevHash != parent.Hash {
		return Errorf(ErrBadPrevHash, "prev hash %s, parent is %s", h.PrevHash, parent.Hash)
	}
	if h.Height != parent.Height+1 {
		return Errorf(ErrBadHeight, "height %d, parent height %d", h.Height, parent.Height)
	}
	if h.Target != parent.NextTarget {
		return Errorf(ErrBadTarget, "target %s, retarget requires %s", h.Target, parent.NextTarget)
	}
	return CheckBlockTime(p, h.Time, parent.MTP, now)
}
