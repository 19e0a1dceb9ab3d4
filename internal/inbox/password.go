package inbox

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultIterations is the PBKDF2-HMAC-SHA256 iteration count of new
// password hashes: OWASP's 2023 figure for SHA-256. A login costs about
// 0.2 s of one core on an amd64 machine and a few seconds on a Pi Zero;
// logins are rare, and the failure backoff keeps guessing from turning
// that into a denial of service. The count is stored in each hash, so
// changing it keeps older hashes valid.
const DefaultIterations = 600_000

const (
	hashScheme = "pbkdf2-sha256"
	saltLen    = 16
	keyLen     = 32
	// MinPasswordLen is the shortest password setup accepts.
	MinPasswordLen = 8
	maxPasswordLen = 1024 // longer input is refused before any hashing
)

var errBadHash = errors.New("inbox: malformed password hash")

// HashPassword returns "pbkdf2-sha256$<iterations>$<salt>$<key>" (salt
// and key in unpadded base64url) for password, with a random salt.
func HashPassword(password string, iterations int) (string, error) {
	if iterations <= 0 {
		iterations = DefaultIterations
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, keyLen)
	if err != nil {
		return "", fmt.Errorf("inbox: hash password: %w", err)
	}
	b64 := base64.RawURLEncoding
	return fmt.Sprintf("%s$%d$%s$%s", hashScheme, iterations, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parseHash checks a stored hash and returns its parts.
func parseHash(h string) (iter int, salt, key []byte, err error) {
	f := strings.Split(strings.TrimSpace(h), "$")
	if len(f) != 4 || f[0] != hashScheme {
		return 0, nil, nil, errBadHash
	}
	iter, err = strconv.Atoi(f[1])
	if err != nil || iter < 1000 || iter > 100_000_000 {
		return 0, nil, nil, errBadHash
	}
	b64 := base64.RawURLEncoding
	salt, err1 := b64.DecodeString(f[2])
	key, err2 := b64.DecodeString(f[3])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) != keyLen {
		return 0, nil, nil, errBadHash
	}
	return iter, salt, key, nil
}

// checkPassword reports whether password matches hash, in time that
// does not depend on how much of it matches.
func checkPassword(hash, password string) bool {
	iter, salt, key, err := parseHash(hash)
	if err != nil || len(password) > maxPasswordLen {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, keyLen)
	return err == nil && subtle.ConstantTimeCompare(got, key) == 1
}
