// Package safeid owns the safe alphabet of master-data identifiers and the one mapping
// from an identifier to a file name (docs/security.md).
//
// A safe identifier is 1 to 64 characters of A–Z a–z 0–9 '-' '_' '.', starting with a
// letter or a digit. Imports refuse any other identifier (department, project, vendor,
// order, catalog item code, resource type), so an id can neither escape a folder
// ("x/../../y"), nor collide with another once turned into a file name ("Q/1", "Q_1"), nor
// act as a formula in a spreadsheet ("=cmd|…").
//
// FileName maps any string injectively to a file name that is a single path element:
// safe identifiers map to themselves; anything else has each byte outside the alphabet
// (and a leading '.', '-' or '_') written as %XX, so no two ids share a file and no file
// lands outside the folder it is written in.
package safeid

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// MaxLen is the longest safe identifier, in characters (bytes: the alphabet is ASCII).
const MaxLen = 64

// Rule describes the alphabet for error messages.
const Rule = "letters A–Z a–z, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters"

// Valid reports whether id is a safe identifier.
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen || !alnum(id[0]) {
		return false
	}
	for i := 1; i < len(id); i++ {
		if !inAlphabet(id[i]) {
			return false
		}
	}
	return true
}

// Check returns nil for a safe identifier, else an error saying why not.
func Check(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("identifier is empty")
	case len(id) > MaxLen:
		return fmt.Errorf("identifier is longer than %d characters", MaxLen)
	case Valid(id):
		return nil
	}
	return fmt.Errorf("identifier %q is not safe: use only %s", id, Rule)
}

func alnum(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}

func inAlphabet(c byte) bool { return alnum(c) || c == '-' || c == '_' || c == '.' }

// maxName bounds a file name from FileName (file systems allow 255 bytes; the caller
// adds an extension and perhaps a prefix).
const maxName = 200

// FileName is the file name (without extension) for id: id itself when it is made of
// the alphabet's characters and starts with a letter or digit, else id with every other
// byte, and a leading '.', '-' or '_', written %XX ("" → "%"). A name that would pass
// 200 bytes is "%%" and the SHA-256 of id in hex. The mapping is injective (no two ids
// share a name) and its result is one path element (no '/', never "." or "..").
func FileName(id string) string {
	if n := fileName(id); len(n) <= maxName {
		return n
	}
	sum := sha256.Sum256([]byte(id))
	return "%%" + hex.EncodeToString(sum[:])
}

func fileName(id string) string {
	if id != "" && alnum(id[0]) && strings.IndexFunc(id, func(r rune) bool { return r > 0x7f || !inAlphabet(byte(r)) }) < 0 {
		return id
	}
	if id == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if inAlphabet(c) && (i > 0 || alnum(c)) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
