/* signature.h: Standard Webhooks signatures (www.standardwebhooks.com, as Svix and Supabase send them):
 * webhook-signature holds "v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>"
 * items, the key being the bytes of the secret whsec_<base64>. Pure functions: no I/O, no clock. */
#ifndef CAPTIONACC_SIGNATURE_H
#define CAPTIONACC_SIGNATURE_H

#include <stddef.h>
#include <time.h>

/* webhook-id: at most this many printable ASCII characters (no spaces). */
#define SIGNATURE_ID_MAX 255
/* The key behind whsec_: 24 to 64 bytes, as the scheme asks. */
#define SIGNATURE_KEY_MIN 24
#define SIGNATURE_KEY_MAX 64
/* One "v1,<base64 of 32 bytes>" item, with its NUL. */
#define SIGNATURE_ITEM_SIZE 48

enum signature_result {
	SIGNATURE_OK,
	SIGNATURE_BAD_SECRET, /* the secret is not whsec_<base64 of 24-64 bytes>: the server's setup is wrong */
	SIGNATURE_MISSING,    /* webhook-id, webhook-timestamp or webhook-signature absent or empty */
	SIGNATURE_MALFORMED,  /* a header is not what the scheme says (e.g. no v1 item, a timestamp not digits) */
	SIGNATURE_STALE,      /* the timestamp is further than the tolerance from now (too old or in the future) */
	SIGNATURE_MISMATCH,   /* no v1 item is the signature of this id, timestamp and body under the key */
	SIGNATURE_ERROR       /* the signature could not be computed (out of memory) */
};

/* Verifies a delivery: id, timestamp and header are the three headers' values (NULL = absent), body the
 * raw body of len bytes, now the current Unix time, tolerance the seconds the timestamp may be away from
 * it. Each v1 item of header (space-separated; other versions are skipped) is compared in constant time,
 * all of them; one match is enough. Anything but SIGNATURE_OK comes with a sentence in why saying which
 * check failed; it names neither the secret nor any signature. */
enum signature_result signature_verify(const char *whsec, const char *id, const char *timestamp,
    const char *body, size_t len, const char *header, time_t now, long tolerance, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* Signs as a sender does: "v1,<base64>" into out (SIGNATURE_ITEM_SIZE bytes suffice). 0, or -1 when
 * whsec is not a valid secret or out is too small. For tests and tools. */
int signature_sign(const char *whsec, const char *id, const char *timestamp, const char *body, size_t len,
    char *out, size_t outlen) __attribute__((warn_unused_result));

#endif
