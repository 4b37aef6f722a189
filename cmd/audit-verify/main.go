// Command audit-verify checks a session's audit trail, as the API's
// GET …/{sid}/audit answers it, and prints whether its hash chain is intact.
//
//	curl -s -H "X-API-Key: $KEY" $LIVEGATE/face/v1/active-liveness-sessions/$SID/audit > audit.json
//	go run ./cmd/audit-verify [-head HEX] [audit.json]
//
// It reads the answer from the file named, or from standard input when none
// is named or the name is "-". The trail is intact when every entry's hash
// matches its contents, each entry's prev is the hash of the one before it,
// the first entry starts the chain or follows the latest checkpoint's drop
// (session.VerifyAudit), and the answer's head is the last entry's hash.
// -head names a head kept from an earlier answer: the trail must then still
// contain the entry with that hash, which proves that the entries up to it
// are the ones seen then.
//
// It prints "intact: …" and exits 0, or "broken: …" and exits 1; an answer
// it cannot read exits 2.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/livegate/livegate/internal/session"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// answer is the audit answer, as much of it as verification needs.
type answer struct {
	SID     string                `json:"sid"`
	Head    *string               `json:"head"`
	Entries *[]session.AuditEntry `json:"entries"`
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// errBroken marks a trail that was read but is not intact.
var errBroken = errors.New("broken")

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	head := fs.String("head", "", "a head (64 hex digits) kept from an earlier answer: the trail must still contain that entry")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: audit-verify [-head HEX] [FILE|-]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	if *head != "" && !hexHash.MatchString(*head) {
		fmt.Fprintf(stderr, "audit-verify: -head %q is not 64 lower-case hex digits\n", *head)
		return 2
	}
	in, name := stdin, "standard input"
	if p := fs.Arg(0); p != "" && p != "-" {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(stderr, "audit-verify:", err)
			return 2
		}
		defer f.Close()
		in, name = f, p
	}
	a, err := read(in)
	if err != nil {
		fmt.Fprintf(stderr, "audit-verify: %s: %v\n", name, err)
		return 2
	}
	msg, err := verify(a, *head)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return 1
	}
	fmt.Fprintln(stdout, msg)
	return 0
}

// read decodes one audit answer and refuses anything else: trailing data, or
// an object without entries.
func read(r io.Reader) (*answer, error) {
	dec := json.NewDecoder(io.LimitReader(r, 16<<20))
	var a answer
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("not an audit answer: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not an audit answer: data after the JSON object")
	}
	if a.Entries == nil {
		return nil, errors.New(`not an audit answer: no "entries"`)
	}
	return &a, nil
}

// verify returns a line saying the trail is intact, or an error wrapping
// errBroken that says where it is not.
func verify(a *answer, kept string) (string, error) {
	es := *a.Entries
	if err := session.VerifyAudit(es); err != nil {
		return "", fmt.Errorf("%w: sid %s: %v", errBroken, a.SID, err)
	}
	head := session.AuditHead(es)
	if a.Head != nil && *a.Head != head {
		return "", fmt.Errorf("%w: sid %s: the answer's head %s is not the last entry's hash %s", errBroken, a.SID, *a.Head, head)
	}
	if kept != "" {
		found := kept == session.AuditGenesis && (len(es) == 0 || es[0].Seq == 0)
		for _, e := range es {
			found = found || e.Hash == kept
		}
		if !found {
			return "", fmt.Errorf("%w: sid %s: no entry has the kept head %s (changed, or dropped by the cap since)", errBroken, a.SID, kept)
		}
	}
	if len(es) == 0 {
		return fmt.Sprintf("intact: sid %s, no entries, head %s", a.SID, head), nil
	}
	return fmt.Sprintf("intact: sid %s, %d entries (seq %d–%d, %d dropped before), head %s",
		a.SID, len(es), es[0].Seq, es[len(es)-1].Seq, es[0].Seq, head), nil
}
