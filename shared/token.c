/* token.c: a compact JWS checked in order (size, parts, header, alg against the configured keys, signature,
 * then claims), so nothing of a token is read as claims before its signature holds. HMAC with
 * SUPABASE_JWT_SECRET for HS256, EVP_DigestVerify with the key set's keys for ES256 and RS256. */
#include "shared/token.h"

#include "shared/jwks.h"
#include "shared/json.h"
#include "shared/str.h"

#include <math.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ES256_HALF 32
#define HS256_BYTES 32

struct token_verifier {
	char *secret;            /* SUPABASE_JWT_SECRET (owned, cleared when freed); NULL: no HS256 */
	size_t secretlen;
	struct jwks_file *keys;  /* owned; NULL: no ES256 or RS256 */
	char *issuer;            /* owned; NULL: iss not checked */
	char *audience;          /* owned */
	long leeway;
};

enum alg { ALG_HS256, ALG_ES256, ALG_RS256, ALG__MAX };

static const struct {
	const char *name;
	enum jwks_type type;     /* the key kind it needs (ES256, RS256) */
} algs[ALG__MAX] = {
	[ALG_HS256] = { .name = "HS256", .type = JWKS_TYPE__MAX },
	[ALG_ES256] = { .name = "ES256", .type = JWKS_EC_P256 },
	[ALG_RS256] = { .name = "RS256", .type = JWKS_RSA },
};

/* The three parts of a token (pointers into it). */
struct parts {
	const char *text[3];
	size_t len[3];
};

/* Sets why and returns -1 (for one-line refusals). */
static int
refuse(char *why, size_t whylen, const char *reason)
{
	(void)str_fmt(why, whylen, "%s", reason);
	return -1;
}

static int
copy_setting(char **dst, const char *value)
{
	if (value == NULL || *value == '\0')
		return 0;
	return (*dst = strdup(value)) == NULL ? -1 : 0;
}

struct token_verifier *
token_verifier_new(const struct config *cfg, char *err, size_t errlen)
{
	struct token_verifier *v = calloc(1, sizeof(*v));

	if (v == NULL || copy_setting(&v->secret, cfg->supabase_jwt_secret) != 0 ||
	    copy_setting(&v->issuer, cfg->supabase_jwt_issuer) != 0 ||
	    copy_setting(&v->audience, cfg->supabase_jwt_audience) != 0) {
		(void)str_fmt(err, errlen, "out of memory");
		goto fail;
	}
	if (v->audience == NULL) {
		(void)str_fmt(err, errlen, "SUPABASE_JWT_AUDIENCE is empty");
		goto fail;
	}
	v->secretlen = v->secret != NULL ? strlen(v->secret) : 0;
	v->leeway = cfg->jwt_leeway_seconds;
	if (cfg->supabase_jwks_file != NULL && *cfg->supabase_jwks_file != '\0' &&
	    (v->keys = jwks_file_open(cfg->supabase_jwks_file, err, errlen)) == NULL)
		goto fail;
	return v;
fail:
	token_verifier_free(v);
	return NULL;
}

void
token_verifier_free(struct token_verifier *v)
{
	if (v == NULL)
		return;
	OPENSSL_clear_free(v->secret, v->secretlen);
	jwks_file_close(v->keys);
	free(v->issuer);
	free(v->audience);
	free(v);
}

/* Splits token at its two dots; header and claims must not be empty (the signature is looked at later,
 * after alg, so that an unsigned token is refused as alg none). */
static int
split(const char *token, size_t len, struct parts *p, char *why, size_t whylen)
{
	const char *dot1 = memchr(token, '.', len), *dot2;

	if (dot1 == NULL || (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return refuse(why, whylen, "not three parts");
	*p = (struct parts){
		.text = { token, dot1 + 1, dot2 + 1 },
		.len = { (size_t)(dot1 - token), (size_t)(dot2 - dot1 - 1), len - (size_t)(dot2 + 1 - token) },
	};
	if (p->len[0] == 0 || p->len[1] == 0)
		return refuse(why, whylen, p->len[0] == 0 ? "empty header" : "empty claims");
	return 0;
}

/* Part i of p decoded and parsed as a JSON object (the caller puts it); NULL with why naming the part. */
static json_object *
part_object(const struct parts *p, int i, const char *name, char *why, size_t whylen)
{
	unsigned char *bytes;
	json_object *obj = NULL;
	size_t len = 0;
	char jerr[128];

	if ((bytes = jwks_b64url_decode(p->text[i], p->len[i], &len)) == NULL) {
		(void)str_fmt(why, whylen, "%s not base64url", name);
		return NULL;
	}
	if ((obj = json_parse((const char *)bytes, len, jerr, sizeof(jerr))) == NULL)
		(void)str_fmt(why, whylen, "%s not JSON", name);
	else if (!json_object_is_type(obj, json_type_object)) {
		(void)str_fmt(why, whylen, "%s not a JSON object", name);
		json_object_put(obj);
		obj = NULL;
	}
	free(bytes);
	return obj;
}

/* The header's alg and kid (kid NULL when absent; it points into header). */
static int
read_header(json_object *header, enum alg *alg, const char **kid, char *why, size_t whylen)
{
	const char *name = NULL, *typ = NULL;
	enum json_field f;

	if ((f = json_get_string(header, "alg", &name)) != JSON_FIELD_OK)
		return refuse(why, whylen, f == JSON_FIELD_MISSING ? "alg missing" : "alg not a string");
	if (strcasecmp(name, "none") == 0)
		return refuse(why, whylen, "alg none refused");
	for (*alg = 0; *alg < ALG__MAX && strcmp(algs[*alg].name, name) != 0; (*alg)++)
		;
	if (*alg == ALG__MAX)
		return refuse(why, whylen, "alg not accepted");
	if ((f = json_get_string(header, "typ", &typ)) != JSON_FIELD_MISSING &&
	    (f != JSON_FIELD_OK || strcasecmp(typ, "JWT") != 0))
		return refuse(why, whylen, "typ not JWT");
	if (json_object_object_get_ex(header, "crit", NULL))
		return refuse(why, whylen, "crit header not supported");
	*kid = NULL; /* stays NULL when kid is absent */
	if ((f = json_get_string(header, "kid", kid)) != JSON_FIELD_OK && f != JSON_FIELD_MISSING)
		return refuse(why, whylen, "kid not a string");
	return 0;
}

/* HS256: HMAC-SHA256 of input with the configured secret, compared in constant time. */
static int
hs256_check(const struct token_verifier *v, const char *input, size_t inlen, const unsigned char *sig,
    size_t siglen, char *why, size_t whylen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (v->secret == NULL)
		return refuse(why, whylen, "HS256 not configured");
	if (HMAC(EVP_sha256(), v->secret, (int)v->secretlen, (const unsigned char *)input, inlen, mac, &maclen) ==
	    NULL || maclen != HS256_BYTES)
		return refuse(why, whylen, "HMAC failed");
	if (siglen != HS256_BYTES || CRYPTO_memcmp(mac, sig, HS256_BYTES) != 0)
		return refuse(why, whylen, "bad signature");
	return 0;
}

/* ES256's 64-byte r||s as the DER ECDSA-Sig-Value OpenSSL verifies; *der is the caller's (OPENSSL_free). */
static int
es256_der(const unsigned char *sig, unsigned char **der, size_t *derlen)
{
	ECDSA_SIG *esig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, ES256_HALF, NULL), *s = BN_bin2bn(sig + ES256_HALF, ES256_HALF, NULL);
	int len = -1;

	/* ECDSA_SIG_set0 takes r and s; freed here only when it did not */
	if (esig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(esig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	*der = NULL;
	len = i2d_ECDSA_SIG(esig, der);
	*derlen = len > 0 ? (size_t)len : 0;
out:
	ECDSA_SIG_free(esig);
	return len > 0 ? 0 : -1;
}

/* EVP_DigestVerify with SHA-256: true when sig is key's signature of input. */
static bool
pkey_verifies(EVP_PKEY *key, const char *input, size_t inlen, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)input, inlen) == 1;

	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* ES256 and RS256: the key named by kid (or the only one of its kind), then its signature. */
static int
pkey_check(struct token_verifier *v, enum alg alg, const char *kid, time_t now, const char *input, size_t inlen,
    const unsigned char *sig, size_t siglen, char *why, size_t whylen)
{
	unsigned char *der = NULL;
	size_t derlen = 0;
	EVP_PKEY *key;
	bool ok;

	if (v->keys == NULL)
		return refuse(why, whylen, alg == ALG_ES256 ? "ES256 not configured" : "RS256 not configured");
	if ((key = jwks_find(jwks_file_keys(v->keys, now), kid, algs[alg].type, why, whylen)) == NULL)
		return -1;
	if (alg == ALG_RS256)
		ok = siglen == (size_t)EVP_PKEY_get_size(key) && pkey_verifies(key, input, inlen, sig, siglen);
	else if (siglen != 2 * ES256_HALF)
		return refuse(why, whylen, "ES256 signature not 64 bytes");
	else if (es256_der(sig, &der, &derlen) != 0)
		return refuse(why, whylen, "ES256 signature unusable");
	else
		ok = pkey_verifies(key, input, inlen, der, derlen);
	OPENSSL_free(der);
	return ok ? 0 : refuse(why, whylen, "bad signature");
}

/* The header's alg, the key it asks for and the signature over "header.claims". */
static int
check_signature(struct token_verifier *v, const struct parts *p, time_t now, char *why, size_t whylen)
{
	json_object *header;
	const char *kid = NULL, *input = p->text[0];
	size_t inlen = p->len[0] + 1 + p->len[1], siglen = 0;
	unsigned char *sig = NULL;
	enum alg alg = ALG_HS256;
	int rc = -1;

	if ((header = part_object(p, 0, "header", why, whylen)) == NULL ||
	    read_header(header, &alg, &kid, why, whylen) != 0)
		goto out;
	if (p->len[2] == 0) {
		rc = refuse(why, whylen, "empty signature");
		goto out;
	}
	/* sig is freed below */
	if ((sig = jwks_b64url_decode(p->text[2], p->len[2], &siglen)) == NULL) {
		rc = refuse(why, whylen, "signature not base64url");
		goto out;
	}
	if (alg == ALG_HS256)
		rc = hs256_check(v, input, inlen, sig, siglen, why, whylen);
	else
		rc = pkey_check(v, alg, kid, now, input, inlen, sig, siglen, why, whylen);
out:
	free(sig);
	json_object_put(header);
	return rc;
}

/* A NumericDate claim: 0 and *t (whole seconds, rounded down), 1 when absent, -1 when not a number. */
static int
claim_time(json_object *claims, const char *name, int64_t *t)
{
	json_object *val = NULL;
	double d;

	if (!json_object_object_get_ex(claims, name, &val) || val == NULL)
		return 1;
	if (json_object_is_type(val, json_type_int)) {
		*t = json_object_get_int64(val);
		return 0;
	}
	if (!json_object_is_type(val, json_type_double) || !isfinite(d = json_object_get_double(val)))
		return -1;
	*t = d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)floor(d);
	return 0;
}

/* exp (required, in the future), nbf and iat (when present, not in the future), all with the leeway. */
static int
check_times(const struct token_verifier *v, json_object *claims, time_t now, struct token_claims *c, char *why,
    size_t whylen)
{
	int64_t exp = 0, nbf = 0, iat = 0, late = (int64_t)now - v->leeway, early = (int64_t)now + v->leeway;
	int rc;

	if ((rc = claim_time(claims, "exp", &exp)) != 0)
		return refuse(why, whylen, rc > 0 ? "exp missing" : "exp not a number");
	if (exp <= late)
		return refuse(why, whylen, "expired");
	if ((rc = claim_time(claims, "nbf", &nbf)) < 0 || (rc == 0 && nbf > early))
		return refuse(why, whylen, rc < 0 ? "nbf not a number" : "not yet valid (nbf)");
	if ((rc = claim_time(claims, "iat", &iat)) < 0 || (rc == 0 && iat > early))
		return refuse(why, whylen, rc < 0 ? "iat not a number" : "issued in the future (iat)");
	c->exp = (time_t)exp;
	return 0;
}

/* Whether val is a JSON string equal to want (a string holding a NUL is never equal). */
static bool
json_string_is(json_object *val, const char *want)
{
	return json_object_is_type(val, json_type_string) && (size_t)json_object_get_string_len(val) == strlen(want) &&
	    memcmp(json_object_get_string(val), want, strlen(want)) == 0;
}

/* aud is the configured audience, or an array holding it. */
static int
check_audience(const struct token_verifier *v, json_object *claims, char *why, size_t whylen)
{
	json_object *aud = NULL;

	if (!json_object_object_get_ex(claims, "aud", &aud) || aud == NULL)
		return refuse(why, whylen, "aud missing");
	if (json_string_is(aud, v->audience))
		return 0;
	for (size_t i = 0; json_object_is_type(aud, json_type_array) && i < json_object_array_length(aud); i++)
		if (json_string_is(json_object_array_get_idx(aud, i), v->audience))
			return 0;
	return refuse(why, whylen, "wrong audience");
}

/* iss (when configured), sub and role into c. */
static int
check_identity(const struct token_verifier *v, json_object *claims, struct token_claims *c, char *why,
    size_t whylen)
{
	json_object *iss = NULL;
	const char *sub = NULL, *role = NULL;
	enum json_field f;

	if (v->issuer != NULL && (!json_object_object_get_ex(claims, "iss", &iss) || !json_string_is(iss, v->issuer)))
		return refuse(why, whylen, iss == NULL ? "iss missing" : "wrong issuer");
	if ((f = json_get_string(claims, "sub", &sub)) == JSON_FIELD_MISSING || f == JSON_FIELD_WRONG_TYPE)
		return refuse(why, whylen, f == JSON_FIELD_MISSING ? "sub missing" : "sub not a string");
	if (f != JSON_FIELD_OK || !validate_id(sub) || str_copy(c->sub, sizeof(c->sub), sub) != 0)
		return refuse(why, whylen, "sub not a valid id");
	if ((f = json_get_string(claims, "role", &role)) == JSON_FIELD_MISSING)
		role = "";
	else if (f != JSON_FIELD_OK)
		return refuse(why, whylen, "role not a string");
	if (str_copy(c->role, sizeof(c->role), role) != 0)
		return refuse(why, whylen, "role too long");
	return 0;
}

int
token_verify(struct token_verifier *v, const char *token, time_t now, struct token_claims *out, char *why,
    size_t whylen)
{
	struct token_claims c = { .role = "" };
	json_object *claims = NULL;
	struct parts p;
	size_t len;
	int rc = -1;

	if (v->secret == NULL && v->keys == NULL)
		return refuse(why, whylen, "access tokens are not configured");
	if (token == NULL || (len = strnlen(token, TOKEN_MAX_BYTES + 1)) > TOKEN_MAX_BYTES)
		return refuse(why, whylen, token == NULL ? "no token" : "token too long");
	if (split(token, len, &p, why, whylen) != 0 || check_signature(v, &p, now, why, whylen) != 0)
		goto out;
	if ((claims = part_object(&p, 1, "claims", why, whylen)) == NULL ||
	    check_times(v, claims, now, &c, why, whylen) != 0 || check_audience(v, claims, why, whylen) != 0 ||
	    check_identity(v, claims, &c, why, whylen) != 0)
		goto out;
	*out = c;
	rc = 0;
out:
	json_object_put(claims);
	return rc;
}
