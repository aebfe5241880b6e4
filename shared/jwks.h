/* jwks.h: the JSON Web Key Set (RFC 7517) behind ES256 and RS256 access tokens: P-256 and RSA (>= 2048 bit)
 * public keys by kid, from a file that is read again when it changes; and the strict base64url decoding
 * (RFC 7515 §2) that keys and tokens share. OpenSSL builds the keys, json-c reads the set. */
#ifndef CAPTIONACC_JWKS_H
#define CAPTIONACC_JWKS_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define JWKS_MAX_BYTES (1024 * 1024)
#define JWKS_MAX_KEYS 64
#define JWKS_KID_MAX 256
#define JWKS_RSA_MIN_BITS 2048
#define JWKS_RSA_MAX_BITS 16384

/* The kinds of key a token's alg can name. */
enum jwks_type {
	JWKS_EC_P256,   /* ES256 */
	JWKS_RSA,       /* RS256 */
	JWKS_TYPE__MAX
};

/* Decodes base64url without padding: only [A-Za-z0-9_-], no '=', no whitespace, inlen % 4 != 1, and the
 * unused bits of the last character zero (one text per byte string). Returns the bytes with a NUL after
 * them (the caller frees) and their count in *outlen, or NULL. */
unsigned char *jwks_b64url_decode(const char *in, size_t inlen, size_t *outlen);

/* A parsed key set: only keys for signatures (use "sig" or absent) of a supported kind are kept; others
 * are skipped with a warning. */
struct jwks;

/* Parses len bytes of a key set. NULL with one line in err when it is not a key set, a supported key is
 * malformed, two keys share a kid, or no key is usable. The caller frees the set with jwks_free. */
struct jwks *jwks_parse(const char *text, size_t len, char *err, size_t errlen);
void jwks_free(struct jwks *set);
/* The key of kind type named kid, or with kid NULL the only key of that kind. NULL with the reason in why
 * ("unknown kid", "alg does not match the key", ...). The key is borrowed from set. */
EVP_PKEY *jwks_find(const struct jwks *set, const char *kid, enum jwks_type type, char *why, size_t whylen);

/* A key set file watched for changes. */
struct jwks_file;

/* Reads path. NULL with one line in err when it cannot be read or holds no usable key. The caller closes
 * it with jwks_file_close. */
struct jwks_file *jwks_file_open(const char *path, char *err, size_t errlen);
void jwks_file_close(struct jwks_file *f);
/* The current keys (never NULL; owned by f, valid until the next call). When now is another second than
 * the last look, stats the file and, when its inode, size or mtime changed, reads it again; a file that
 * cannot be read or parsed keeps the last good keys and logs a warning. Not thread-safe. */
const struct jwks *jwks_file_keys(struct jwks_file *f, time_t now);

#endif
