/* token.h: Supabase access tokens (compact JWS, RFC 7515/7519) verified into a typed identity: HS256 with
 * SUPABASE_JWT_SECRET, ES256 and RS256 with the keys of SUPABASE_JWKS_FILE (chosen by kid; the file is read
 * again when it changes). OpenSSL does the cryptography, json-c the JSON. Nothing of a token is trusted
 * before its signature and claims are checked; a refusal says which check failed, never the token. */
#ifndef CAPTIONACC_TOKEN_H
#define CAPTIONACC_TOKEN_H

#include "shared/config.h"
#include "shared/validate.h"

#include <stddef.h>
#include <time.h>

#define TOKEN_MAX_BYTES 8192

struct token_verifier;

/* Who a verified token speaks for. */
struct token_claims {
	char sub[VALIDATE_ID_MAX + 1];   /* the user's id (a uuid for Supabase) */
	char role[64];                   /* "authenticated", ... ("" when absent) */
	time_t exp;
};

/* Reads SUPABASE_JWT_SECRET, SUPABASE_JWKS_FILE, SUPABASE_JWT_ISSUER, SUPABASE_JWT_AUDIENCE and
 * JWT_LEEWAY_SECONDS. With neither a secret nor a key file every token is refused (the user endpoints are
 * then closed). NULL with one line in err (a JWKS file that cannot be read or holds no usable key). The
 * verifier copies what it needs of cfg; the caller frees it with token_verifier_free. One thread uses a
 * verifier at a time (token_verify may read the key set file again). */
struct token_verifier *token_verifier_new(const struct config *cfg, char *err, size_t errlen);
void token_verifier_free(struct token_verifier *v);
/* Verifies token (the text after "Bearer "), at time now. 0 and *out, or -1 with the failed check in why
 * (e.g. "expired", "bad signature", "alg none refused", "unknown kid"). */
int token_verify(struct token_verifier *v, const char *token, time_t now, struct token_claims *out, char *why,
    size_t whylen) __attribute__((warn_unused_result));

#endif
