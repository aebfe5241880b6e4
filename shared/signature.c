/* signature.c: Standard Webhooks verification: the secret's key, the headers' shape, the time window,
 * then the HMAC-SHA256 of "<id>.<timestamp>.<body>" against every v1 item, in constant time. */
#include "shared/signature.h"

#include "shared/str.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAC_LEN 32
/* The latest timestamp taken as a number (year 9999): no arithmetic on it can overflow. */
#define TIMESTAMP_MAX 253402300799L

static enum signature_result refuse(enum signature_result r, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum signature_result
refuse(enum signature_result r, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, whylen, fmt, ap); /* a cut sentence still says which check failed */
		va_end(ap);
	}
	return r;
}

static bool
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Strict base64 (standard alphabet, padded to a multiple of 4, '=' only at the end) of the inlen
 * characters at in, into out (outmax bytes). Returns the number of bytes, or -1. */
static int
b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outmax)
{
	size_t pad = 0;
	int n;

	if (inlen == 0 || inlen % 4 != 0 || inlen > INT_MAX || inlen / 4 * 3 > outmax)
		return -1;
	for (size_t i = 0; i < inlen; i++) {
		if (in[i] == '=' && i + 2 >= inlen)
			pad++;
		else if (pad > 0 || !b64_char(in[i]))
			return -1;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0 || (size_t)n < pad)
		return -1;
	return n - (int)pad;
}

/* The key bytes of "whsec_<base64>" (Supabase shows its Auth hooks' secrets as "v1,whsec_<base64>": the
 * same key). Returns the key's length, or -1 when the secret is not of that form. */
static int
key_of(const char *whsec, unsigned char *key, size_t keymax)
{
	int n;

	if (whsec == NULL)
		return -1;
	if (strncmp(whsec, "v1,", 3) == 0)
		whsec += 3;
	if (strncmp(whsec, "whsec_", 6) != 0)
		return -1;
	n = b64_decode(whsec + 6, strlen(whsec + 6), key, keymax);
	return n < SIGNATURE_KEY_MIN || n > SIGNATURE_KEY_MAX ? -1 : n;
}

/* HMAC-SHA256(key, "<id>.<timestamp>.<body>") into out. 0, or -1 (out of memory, OpenSSL failure). */
static int
mac(const unsigned char *key, int keylen, const char *id, const char *timestamp, const char *body, size_t len,
    unsigned char out[EVP_MAX_MD_SIZE])
{
	size_t idlen = strlen(id), tslen = strlen(timestamp), total = idlen + tslen + len + 2;
	unsigned int outlen = 0;
	unsigned char *msg = NULL;
	int rc = -1;

	if (len > SIZE_MAX - idlen - tslen - 2 || (msg = malloc(total)) == NULL)
		goto out;
	memcpy(msg, id, idlen);
	msg[idlen] = '.';
	memcpy(msg + idlen + 1, timestamp, tslen);
	msg[idlen + 1 + tslen] = '.';
	if (len > 0)
		memcpy(msg + idlen + tslen + 2, body, len);
	if (HMAC(EVP_sha256(), key, keylen, msg, total, out, &outlen) != NULL && outlen == MAC_LEN)
		rc = 0;
out:
	free(msg);
	return rc;
}

/* 1-SIGNATURE_ID_MAX printable ASCII characters, no spaces (the id is also a database key). */
static bool
id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > SIGNATURE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~')
			return false;
	return true;
}

/* Compares want with every "v1,<base64>" item of header (other versions skipped), all of them: 1 when
 * one matched, 0 when none did, -1 when there was no v1 item. */
static int
match_any(const char *header, const unsigned char want[MAC_LEN])
{
	unsigned char got[MAC_LEN + 3];
	unsigned matched = 0;
	bool any = false;

	for (const char *p = header; *p != '\0'; ) {
		size_t len = strcspn(p, " ");

		if (len >= 3 && memcmp(p, "v1,", 3) == 0) {
			any = true;
			if (b64_decode(p + 3, len - 3, got, sizeof(got)) == MAC_LEN &&
			    CRYPTO_memcmp(got, want, MAC_LEN) == 0)
				matched = 1;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	return any ? (int)matched : -1;
}

static bool
blank(const char *s)
{
	return s == NULL || *s == '\0';
}

/* The headers' presence and shape, and the time window. SIGNATURE_OK when the signature is worth checking. */
static enum signature_result
check_headers(const char *id, const char *timestamp, const char *header, time_t now, long tolerance, char *why,
    size_t whylen)
{
	long ts;

	if (blank(id) || blank(timestamp) || blank(header))
		return refuse(SIGNATURE_MISSING, why, whylen, "the webhook-%s header is missing",
		    blank(id) ? "id" : blank(timestamp) ? "timestamp" : "signature");
	if (!id_ok(id))
		return refuse(SIGNATURE_MALFORMED, why, whylen, "webhook-id is not 1-%d printable characters",
		    SIGNATURE_ID_MAX);
	if (*timestamp < '0' || *timestamp > '9' || str_to_long(timestamp, 0, TIMESTAMP_MAX, &ts) != 0)
		return refuse(SIGNATURE_MALFORMED, why, whylen, "webhook-timestamp is not Unix seconds");
	if ((long long)now - ts > tolerance)
		return refuse(SIGNATURE_STALE, why, whylen, "webhook-timestamp is %lld s old (tolerance %ld s)",
		    (long long)now - ts, tolerance);
	if (ts - (long long)now > tolerance)
		return refuse(SIGNATURE_STALE, why, whylen, "webhook-timestamp is %lld s in the future (tolerance %ld s)",
		    ts - (long long)now, tolerance);
	return SIGNATURE_OK;
}

enum signature_result
signature_verify(const char *whsec, const char *id, const char *timestamp, const char *body, size_t len,
    const char *header, time_t now, long tolerance, char *why, size_t whylen)
{
	unsigned char key[SIGNATURE_KEY_MAX + 3], want[EVP_MAX_MD_SIZE];
	enum signature_result r;
	int keylen, m;

	if ((keylen = key_of(whsec, key, sizeof(key))) < 0)
		return refuse(SIGNATURE_BAD_SECRET, why, whylen, "WEBHOOK_SIGNING_SECRET is not whsec_<base64 of %d-%d "
		    "bytes>", SIGNATURE_KEY_MIN, SIGNATURE_KEY_MAX);
	if ((r = check_headers(id, timestamp, header, now, tolerance, why, whylen)) != SIGNATURE_OK)
		goto out;
	if (mac(key, keylen, id, timestamp, body, len, want) != 0) {
		r = refuse(SIGNATURE_ERROR, why, whylen, "cannot compute the signature (out of memory)");
		goto out;
	}
	if ((m = match_any(header, want)) < 0)
		r = refuse(SIGNATURE_MALFORMED, why, whylen, "webhook-signature has no v1 signature");
	else if (m == 0)
		r = refuse(SIGNATURE_MISMATCH, why, whylen, "no v1 signature in webhook-signature matches the body");
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(want, sizeof(want));
	return r;
}

int
signature_sign(const char *whsec, const char *id, const char *timestamp, const char *body, size_t len,
    char *out, size_t outlen)
{
	unsigned char key[SIGNATURE_KEY_MAX + 3], sig[EVP_MAX_MD_SIZE];
	char b64[64];
	int keylen, rc = -1;

	if ((keylen = key_of(whsec, key, sizeof(key))) < 0 || mac(key, keylen, id, timestamp, body, len, sig) != 0)
		goto out;
	(void)EVP_EncodeBlock((unsigned char *)b64, sig, MAC_LEN); /* 44 characters and a NUL */
	rc = str_fmt(out, outlen, "v1,%s", b64);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
