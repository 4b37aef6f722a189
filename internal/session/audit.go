package session

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The audit trail is a hash chain. Each entry carries Prev, the Hash of the
// entry before it (AuditGenesis for the first), and its own Hash: the hex
// SHA-256 of its canonical encoding, which covers Prev. Changing, removing,
// inserting or reordering an entry thus breaks the chain at that entry, and
// the Hash of the last entry (the head) stands for the whole trail: whoever
// kept a head can later check that the trail still leads to it.
//
// A trail is capped at MaxAuditEntries. A full trail drops its oldest
// AuditDropBatch entries at once and appends a checkpoint, an entry with
// Event AuditTruncated recording how many entries were dropped in all
// (Dropped, the Seq of the oldest entry kept) and the Hash of the last one
// (DroppedHash, the Prev of the oldest entry kept). The checkpoint is an
// entry of the chain like any other, so the drop is itself recorded and
// VerifyAudit can tell a trail the store shortened from one shortened
// behind its back.

// AuditGenesis is the Prev of a trail's first entry: 64 zeros.
const AuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditTruncated is the Event of a checkpoint entry. Only stores write it;
// ChainAudit refuses it from callers.
const AuditTruncated = "audit_truncated"

// AuditDropBatch is how many of the oldest entries a full trail drops at
// once. Dropping in batches keeps checkpoints rare (one per AuditDropBatch
// entries) rather than one per entry once the trail is full.
const AuditDropBatch = MaxAuditEntries / 4

// auditVersion starts every canonical encoding, so that a later format
// cannot be mistaken for this one.
const auditVersion = "livegate-audit-v1"

// Canonical returns the encoding of e that its Hash covers: twelve
// netstrings (the decimal byte length, ':', the bytes, ','), in this order:
//
//	"livegate-audit-v1", seq, time, attempt, event, outcome, gesture,
//	client_ip, user_agent, dropped, dropped_hash, prev
//
// Numbers are in decimal, the time in RFC 3339 in UTC with as many
// fractional-second digits as needed (Go's time.RFC3339Nano), strings as
// their UTF-8 bytes. Hash is not part of it. Any language can rebuild the
// encoding from the audit answer's JSON fields.
func (e AuditEntry) Canonical() []byte {
	fields := [...]string{
		auditVersion,
		strconv.FormatInt(e.Seq, 10),
		e.Time.UTC().Format(time.RFC3339Nano),
		strconv.Itoa(e.Attempt),
		e.Event,
		e.Outcome,
		string(e.Gesture),
		e.ClientIP,
		e.UserAgent,
		strconv.FormatInt(e.Dropped, 10),
		e.DroppedHash,
		e.Prev,
	}
	var b []byte
	for _, f := range fields {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
		b = append(b, ',')
	}
	return b
}

// ComputeHash returns the hex SHA-256 of e's canonical encoding: what e's
// Hash must be.
func (e AuditEntry) ComputeHash() string {
	sum := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(sum[:])
}

// AuditHead returns the head of a trail: the Hash of its last entry, or
// AuditGenesis for an empty trail.
func AuditHead(entries []AuditEntry) string {
	if len(entries) == 0 {
		return AuditGenesis
	}
	return entries[len(entries)-1].Hash
}

// ChainAudit works out how a store appends e to a trail of n entries whose
// last entry is head (nil when n is 0). It returns how many entries to drop
// from the front of the trail and the entries to append after that, their
// chain fields set. When the trail is full (n ≥ MaxAuditEntries) it drops
// AuditDropBatch entries, lastDropped must be the last of them (the entry at
// index AuditDropBatch-1), and a checkpoint precedes e.
//
// The store must apply the result only if the trail still has n entries and
// the same head, or two concurrent appends would fork the chain.
func ChainAudit(n int, head, lastDropped *AuditEntry, e AuditEntry) (drop int, add []AuditEntry, err error) {
	if e.Event == AuditTruncated {
		return 0, nil, Errorf(EInvalid, "audit event %q is reserved for the store", AuditTruncated)
	}
	if n > 0 && head == nil {
		return 0, nil, Errorf(EInternal, "chain audit: a trail of %d entries without its head", n)
	}
	prev, seq := AuditGenesis, int64(0)
	if head != nil {
		prev, seq = head.Hash, head.Seq+1
	}
	if n >= MaxAuditEntries {
		if lastDropped == nil {
			return 0, nil, Errorf(EInternal, "chain audit: a full trail without its last dropped entry")
		}
		cp := AuditEntry{
			Time:        e.Time,
			Event:       AuditTruncated,
			Seq:         seq,
			Dropped:     lastDropped.Seq + 1,
			DroppedHash: lastDropped.Hash,
			Prev:        prev,
		}
		cp.Hash = cp.ComputeHash()
		add = append(add, cp)
		drop, prev, seq = AuditDropBatch, cp.Hash, seq+1
	}
	e.Seq, e.Prev = seq, prev
	e.Dropped, e.DroppedHash = 0, ""
	// Hash the strings as they will read back: a JSON encoding (the Redis
	// store's, the audit answer's) turns each invalid UTF-8 byte into
	// U+FFFD, and a user agent cut at 256 bytes may end in half a rune.
	for _, p := range []*string{&e.Event, &e.Outcome, &e.ClientIP, &e.UserAgent} {
		*p = validUTF8(*p)
	}
	e.Gesture = Gesture(validUTF8(string(e.Gesture)))
	e.Hash = e.ComputeHash()
	return drop, append(add, e), nil
}

// validUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, as encoding/json does (strings.ToValidUTF8 replaces a
// run of them with one, which would not match).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// AuditBreak is VerifyAudit's error: where a trail stops being intact and
// why.
type AuditBreak struct {
	Index  int    // of the entry in the trail as given
	Seq    int64  // the Seq that entry claims
	Reason string // what is wrong with it
}

func (b *AuditBreak) Error() string {
	return fmt.Sprintf("audit trail broken at entry %d (seq %d): %s", b.Index, b.Seq, b.Reason)
}

// VerifyAudit checks a trail, oldest entry first, and returns nil when it is
// intact or an *AuditBreak naming the first entry where it is not. Intact
// means: every entry's Hash matches its contents; each entry's Prev is the
// Hash of the entry before it and its Seq is one more; the first entry is
// either the very first (Seq 0, Prev AuditGenesis) or the oldest kept after
// the latest checkpoint's drop (its Seq is that checkpoint's Dropped and its
// Prev that checkpoint's DroppedHash); every checkpoint agrees with the
// entries it describes that are still there. An empty trail is intact.
//
// An intact trail proves only that it is one unbroken chain; that it is the
// trail the server wrote needs a head obtained earlier (see AuditHead).
func VerifyAudit(entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	broken := func(i int, format string, args ...any) error {
		return &AuditBreak{Index: i, Seq: entries[i].Seq, Reason: fmt.Sprintf(format, args...)}
	}
	for i, e := range entries {
		if h := e.ComputeHash(); e.Hash != h {
			return broken(i, "hash %q does not match its contents (%s)", e.Hash, h)
		}
		if i == 0 {
			continue
		}
		p := entries[i-1]
		if e.Seq != p.Seq+1 {
			return broken(i, "seq follows %d: an entry is missing, added or out of order", p.Seq)
		}
		if e.Prev != p.Hash {
			return broken(i, "prev is not the hash of the entry before it")
		}
	}
	first := entries[0]
	last := -1 // the latest checkpoint
	for i, e := range entries {
		if e.Event != AuditTruncated {
			if e.Dropped != 0 || e.DroppedHash != "" {
				return broken(i, "only a checkpoint records dropped entries")
			}
			continue
		}
		last = i
		if e.Dropped <= 0 || e.Dropped > e.Seq {
			return broken(i, "checkpoint drops %d entries of the %d before it", e.Dropped, e.Seq)
		}
		// The oldest entry kept by this checkpoint's drop, if still here.
		if k := e.Dropped - first.Seq; k >= 0 && entries[k].Prev != e.DroppedHash {
			return broken(int(k), "prev is not the hash checkpoint %d recorded for the last dropped entry", i)
		}
	}
	switch {
	case last < 0 && first.Seq != 0:
		return broken(0, "the trail starts at seq %d but no checkpoint records a drop", first.Seq)
	case last < 0 && first.Prev != AuditGenesis:
		return broken(0, "the first entry's prev is not the genesis value")
	case last >= 0 && first.Seq != entries[last].Dropped:
		return broken(0, "the latest checkpoint (entry %d) kept from seq %d, the trail starts at seq %d", last, entries[last].Dropped, first.Seq)
	}
	return nil
}
