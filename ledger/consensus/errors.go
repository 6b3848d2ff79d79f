package consensus

import (
	"errors"
	"fmt"
)

// ErrorCode identifies which consensus or policy rule a block or transaction
// broke. Tests and callers compare codes (errors.As + Code, or IsCode), never
// message text.
type ErrorCode int

// Rule error codes. Each names the rule and the spec section it comes from.
const (
	// ErrMalformed: the bytes do not decode canonically (§3.1).
	ErrMalformed ErrorCode = iota + 1
	// ErrOversize: a size or count cap is exceeded: tx 512 B, memo 64 B,
	// block 256 KiB or 1000 txs (§3.2, §3.4, §6).
	ErrOversize
	// ErrBadVersion: Tx.Version != 1 or Header.Version != 1 (§3.2, §5.3.1).
	ErrBadVersion
	// ErrBadChainID: Tx.ChainID differs from the network's (§3.2).
	ErrBadChainID
	// ErrBadSignature: the ed25519 signature does not verify (§3.2).
	ErrBadSignature
	// ErrSelfTransfer: From == To (§3.2).
	ErrSelfTransfer
	// ErrZeroAmount: a transfer of Amount 0 (§3.2).
	ErrZeroAmount
	// ErrFeeTooLow: Fee < MinFee (§3.2).
	ErrFeeTooLow
	// ErrNonceMismatch: Nonce != the sender's state nonce (§3.2, §5.7).
	ErrNonceMismatch
	// ErrInsufficientBalance: Balance < Amount + Fee (§3.2).
	ErrInsufficientBalance
	// ErrOverflow: Amount + Fee, a credited balance, the fee total or the
	// coin supply would exceed 2^64-1 (§3.2).
	ErrOverflow
	// ErrBadCoinbase: the coinbase is missing, not first, repeated (a zero
	// From elsewhere), or has the wrong shape: Version, ChainID, To !=
	// header.Miner, Nonce != height, Fee != 0 or Sig != 0 (§3.2).
	ErrBadCoinbase
	// ErrBadCoinbaseAmount: coinbase Amount != Subsidy(h) + Σ fees (§3.2, §5.6).
	ErrBadCoinbaseAmount
	// ErrBadTxRoot: header TxRoot != RFC 6962 root over TxIDs (§3.4, §5.3.5).
	ErrBadTxRoot
	// ErrDuplicateTx: two transactions of a block share a TxID (§5.3.5).
	ErrDuplicateTx
	// ErrBadStateRoot: header StateRoot != root after applying (§3.3, §5.3.6).
	ErrBadStateRoot
	// ErrBadModelRoot: header ModelRoot != root of the recomputed weights (§5.3.7).
	ErrBadModelRoot
	// ErrLossMismatch: LossBefore or LossAfter differ from the recomputed
	// values (§5.3.7).
	ErrLossMismatch
	// ErrNoImprovement: LossAfter > LossBefore - MinImprove (§5.1, §5.3.7).
	ErrNoImprovement
	// ErrBadPoW: BlockHash > Target (§5.3.2).
	ErrBadPoW
	// ErrBadTarget: Target is 0, above PowLimit, or differs from the
	// retarget output for the parent (§5.3.2, §5.4).
	ErrBadTarget
	// ErrBadHeight: Height != parent height + 1 (§5.3.4).
	ErrBadHeight
	// ErrBadPrevHash: PrevHash does not name the parent it was checked
	// against (§3.4).
	ErrBadPrevHash
	// ErrTimeTooOld: Time <= median time past of the last 11 blocks (§5.3.4).
	ErrTimeTooOld
	// ErrTimeTooNew: Time > now + MaxFutureDrift (§5.3.4).
	ErrTimeTooNew
	// ErrUnknownParent: the parent is not known (orphan) (§5.3.3).
	ErrUnknownParent
	// ErrInvalidParent: the parent is marked invalid (§5.3.3).
	ErrInvalidParent
	// ErrDuplicateBlock: the block is already known (§6, replay).
	ErrDuplicateBlock
	// ErrBadGenesis: a genesis description is inconsistent (§4.1).
	ErrBadGenesis

	// Mempool policy (§5.7): not consensus, but reported the same way.

	// ErrAlreadyKnown: the transaction is already in the pool.
	ErrAlreadyKnown
	// ErrStaleNonce: Nonce < the sender's state nonce (already used).
	ErrStaleNonce
	// ErrNonceGap: Nonce lies more than MaxNonceGap beyond the sender's
	// next executable nonce.
	ErrNonceGap
	// ErrReplacementFee: a (From, Nonce) replacement does not pay >= 10%
	// more fee than the transaction it would replace.
	ErrReplacementFee
	// ErrTooManyPending: the sender already has the maximum (64) pending.
	ErrTooManyPending
	// ErrMempoolFull: the pool is full and the transaction's fee rate does
	// not beat the lowest evictable one.
	ErrMempoolFull
)

var codeNames = map[ErrorCode]string{
	ErrMalformed:           "ErrMalformed",
	ErrOversize:            "ErrOversize",
	ErrBadVersion:          "ErrBadVersion",
	ErrBadChainID:          "ErrBadChainID",
	ErrBadSignature:        "ErrBadSignature",
	ErrSelfTransfer:        "ErrSelfTransfer",
	ErrZeroAmount:          "ErrZeroAmount",
	ErrFeeTooLow:           "ErrFeeTooLow",
	ErrNonceMismatch:       "ErrNonceMismatch",
	ErrInsufficientBalance: "ErrInsufficientBalance",
	ErrOverflow:            "ErrOverflow",
	ErrBadCoinbase:         "ErrBadCoinbase",
	ErrBadCoinbaseAmount:   "ErrBadCoinbaseAmount",
	ErrBadTxRoot:           "ErrBadTxRoot",
	ErrDuplicateTx:         "ErrDuplicateTx",
	ErrBadStateRoot:        "ErrBadStateRoot",
	ErrBadModelRoot:        "ErrBadModelRoot",
	ErrLossMismatch:        "ErrLossMismatch",
	ErrNoImprovement:       "ErrNoImprovement",
	ErrBadPoW:              "ErrBadPoW",
	ErrBadTarget:           "ErrBadTarget",
	ErrBadHeight:           "ErrBadHeight",
	ErrBadPrevHash:         "ErrBadPrevHash",
	ErrTimeTooOld:          "ErrTimeTooOld",
	ErrTimeTooNew:          "ErrTimeTooNew",
	ErrUnknownParent:       "ErrUnknownParent",
	ErrInvalidParent:       "ErrInvalidParent",
	ErrDuplicateBlock:      "ErrDuplicateBlock",
	ErrBadGenesis:          "ErrBadGenesis",
	ErrAlreadyKnown:        "ErrAlreadyKnown",
	ErrStaleNonce:          "ErrStaleNonce",
	ErrNonceGap:            "ErrNonceGap",
	ErrReplacementFee:      "ErrReplacementFee",
	ErrTooManyPending:      "ErrTooManyPending",
	ErrMempoolFull:         "ErrMempoolFull",
}

// String returns the code's identifier, e.g. "ErrBadPoW".
func (c ErrorCode) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// IsPolicy reports whether c is a mempool policy code rather than a
// consensus rule (a policy rejection says nothing about a block's validity
// and must not be punished as an invalid block).
func (c ErrorCode) IsPolicy() bool { return c >= ErrAlreadyKnown }

// AllCodes returns every defined code in numeric order.
func AllCodes() []ErrorCode {
	out := make([]ErrorCode, 0, len(codeNames))
	for c := ErrMalformed; c <= ErrMempoolFull; c++ {
		out = append(out, c)
	}
	return out
}

// RuleError is a rejection by a consensus or policy rule.
type RuleError struct {
	Code ErrorCode
	Desc string
}

func (e RuleError) Error() string { return e.Code.String() + ": " + e.Desc }

// Errorf returns a RuleError with code and a formatted description.
func Errorf(code ErrorCode, format string, args ...any) error {
	return RuleError{Code: code, Desc: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first RuleError in err's chain.
func CodeOf(err error) (ErrorCode, bool) {
	var re RuleError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}

// IsCode reports whether err's chain holds a RuleError with code c.
func IsCode(err error, c ErrorCode) bool {
	got, ok := CodeOf(err)
	return ok && got == c
}
