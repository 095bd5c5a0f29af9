package access

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (OWASP's recommendation: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// HashPassword hashes a password with argon2id and a random salt, in the PHC string form
// $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < MinPasswordLength {
		return "", fmt.Errorf("password too short: at least %d characters", MinPasswordLength)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches an encoded hash (constant time).
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the login does not exist, so that a wrong login and
// a wrong password take the same time.
var dummyHash, _ = HashPassword("cloudbill-no-such-user")

// randomString is n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomID is n random bytes in hex.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// HashSecret is the hex SHA-256 of a high-entropy secret (token, session id): what the
// store keeps instead of the secret.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Token strings: "cbp_<id>_<secret>" (personal) and "cbc_<id>_<secret>" (collector); id
// is 16 hex digits, secret 32 random bytes base64url. The id finds the stored token, the
// SHA-256 of the whole string proves it.
const (
	prefixPersonal  = "cbp"
	prefixCollector = "cbc"
)

func newTokenString(kind TokenKind) (id, token string) {
	prefix := prefixPersonal
	if kind == TokenCollector {
		prefix = prefixCollector
	}
	id = randomID(8)
	return id, prefix + "_" + id + "_" + randomString(32)
}

var errMalformedToken = errors.New("malformed token")

// parseToken splits a token string into its kind and id.
func parseToken(s string) (TokenKind, string, error) {
	if len(s) > 200 {
		return "", "", errMalformedToken
	}
	parts := strings.SplitN(s, "_", 3)
	if len(parts) != 3 || len(parts[1]) != 16 || len(parts[2]) < 32 {
		return "", "", errMalformedToken
	}
	if _, err := hex.DecodeString(parts[1]); err != nil {
		return "", "", errMalformedToken
	}
	switch parts[0] {
	case prefixPersonal:
		return TokenPersonal, parts[1], nil
	case prefixCollector:
		return TokenCollector, parts[1], nil
	}
	return "", "", errMalformedToken
}

// sameHash compares two hex hashes in constant time.
func sameHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
