/* test_token.c: access tokens (shared/token.c, shared/jwks.c) against tokens this test mints itself with
 * OpenSSL: HS256 with a secret, ES256 with fresh P-256 keys (OpenSSL's DER signature turned into r||s) and
 * RS256 with a fresh 2048-bit key, the public keys written as a JWKS file (EC x/y, RSA n/e) in a temp dir.
 * It covers valid tokens of each alg (with and without kid); every refusal: alg none in any case, alg/key
 * confusion (HS256 signed with the RSA key's PEM or the EC key's JWK, RS256 naming an EC kid, ES256 naming
 * an RSA kid), a flipped bit in each signature, ES256 signatures that are not 64 bytes, unknown kid, exp
 * (missing, not a number, past, within the leeway), nbf and iat in the future (and within the leeway), aud as
 * string and array, iss, sub, role, oversize tokens, strict base64url ('=', '+', whitespace, length % 4 == 1,
 * non-zero unused bits), header or claims not JSON or not objects, wrong part counts and empty parts; an
 * unconfigured verifier; key set files refused at start; and a key set file rotated under a live verifier
 * (new keys verify, old keys are refused, an unreadable or broken file keeps the last good keys). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/jwks.h"
#include "shared/str.h"
#include "shared/token.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW ((time_t)1700000000)
#define SECRET "super-secret-jwt-token-with-at-least-32-characters-long"
#define USER "6f1c2b9e-0d3a-4c55-9b1e-2a7f8c9d0e11"
#define ISSUER "https://abcdefgh.supabase.co/auth/v1"
#define HS_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define ES_HEADER "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec-1\"}"
#define RS_HEADER "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}"

enum how { SIGN_HS256, SIGN_ES256, SIGN_RS256, SIGN_NONE };

/* How a token is signed: secret for HS256, key for the others; flip changes one bit of the signature. */
struct signer {
	enum how how;
	const char *secret;
	EVP_PKEY *key;
	bool flip;
};

/* Made once by setup, freed by teardown. */
static struct {
	char dir[PATH_MAX];
	char jwks[PATH_MAX];      /* ec-1 (ec) and rsa-1 (rsa) */
	EVP_PKEY *ec, *ec2, *rsa, *rsa_small;
	char *rsa_pem;            /* the RSA public key as PEM (a confusion attacker's HMAC secret) */
	char *ec_jwk;             /* the EC key's JWK text (likewise) */
} fx;

/* claims formats with the given fields (printf formats: %lld for times, %s for JSON values) */
#define EXP_ONLY "{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld}"
#define WITH_NBF "{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld,\"nbf\":%lld}"
#define WITH_IAT "{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld,\"iat\":%lld}"
#define WITH_AUD "{\"sub\":\"" USER "\",\"aud\":%s,\"exp\":%lld}"
#define WITH_ISS "{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld,\"iss\":%s}"
#define WITH_SUB "{\"sub\":%s,\"aud\":\"authenticated\",\"exp\":%lld}"
#define WITH_PAD "{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld,\"pad\":\"%s\"}"

static char claims_buf[16384];

/* The claims text fmt formats (one buffer: each call replaces the last text). */
__attribute__((format(printf, 1, 2))) static const char *
claims(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(claims_buf, sizeof(claims_buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(claims_buf));
	return claims_buf;
}

static const char *
std_claims(void)
{
	return claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"role\":\"authenticated\",\"iat\":%lld,"
	    "\"exp\":%lld}", (long long)NOW - 10, (long long)NOW + 3600);
}

/* base64url without padding (the caller frees). */
static char *
b64url(const unsigned char *in, size_t len)
{
	char *out = malloc(len * 4 / 3 + 8);
	int n;

	assert_non_null(out);
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p != '\0'; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static char *
b64url_text(const char *text)
{
	return b64url((const unsigned char *)text, strlen(text));
}

/* OpenSSL's DER ECDSA signature as JWS's 64-byte r||s. */
static size_t
der_to_rs(const unsigned char *der, size_t derlen, unsigned char *out)
{
	ECDSA_SIG *esig = d2i_ECDSA_SIG(NULL, &der, (long)derlen);
	const BIGNUM *r = NULL, *s = NULL;

	assert_non_null(esig);
	ECDSA_SIG_get0(esig, &r, &s);
	assert_int_equal(BN_bn2binpad(r, out, 32), 32);
	assert_int_equal(BN_bn2binpad(s, out + 32, 32), 32);
	ECDSA_SIG_free(esig);
	return 64;
}

/* The JWS signature of input (sig holds 1024 bytes); its length. */
static size_t
sign(const struct signer *s, const char *input, unsigned char *sig)
{
	unsigned char der[1024];
	size_t n = sizeof(der);
	unsigned int hn = 0;
	EVP_MD_CTX *ctx;

	if (s->how == SIGN_NONE)
		return 0;
	if (s->how == SIGN_HS256) {
		assert_non_null(HMAC(EVP_sha256(), s->secret, (int)strlen(s->secret), (const unsigned char *)input,
		    strlen(input), sig, &hn));
		n = hn;
	} else {
		assert_non_null(ctx = EVP_MD_CTX_new());
		assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->key), 1);
		assert_int_equal(EVP_DigestSign(ctx, der, &n, (const unsigned char *)input, strlen(input)), 1);
		EVP_MD_CTX_free(ctx);
		if (s->how == SIGN_ES256)
			n = der_to_rs(der, n, sig);
		else
			memcpy(sig, der, n);
	}
	if (s->flip)
		sig[n / 2] ^= 0x01;
	return n;
}

/* "h64.c64.<signature of h64.c64>" from already encoded parts (the caller frees). */
static char *
mint_raw(const char *h64, const char *c64, const struct signer *s)
{
	size_t len = strlen(h64) + strlen(c64) + 2048;
	char *token = malloc(len), *sig64;
	unsigned char sig[1024];
	size_t n;

	assert_non_null(token);
	assert_int_equal(str_fmt(token, len, "%s.%s", h64, c64), 0);
	n = sign(s, token, sig);
	sig64 = b64url(sig, n);
	assert_int_equal(str_fmt(token + strlen(token), len - strlen(token), ".%s", sig64), 0);
	free(sig64);
	return token;
}

/* A token of header and claims (JSON text, encoded here) signed by s (the caller frees). */
static char *
mint(const struct signer *s, const char *header, const char *claims_text)
{
	char *h64 = b64url_text(header), *c64 = b64url_text(claims_text), *token = mint_raw(h64, c64, s);

	free(h64);
	free(c64);
	return token;
}

static const struct signer *
hs(void)
{
	static const struct signer s = { .how = SIGN_HS256, .secret = SECRET };

	return &s;
}

static const struct signer *
es(void)
{
	static struct signer s = { .how = SIGN_ES256 };

	s.key = fx.ec;
	return &s;
}

static const struct signer *
rs(void)
{
	static struct signer s = { .how = SIGN_RS256 };

	s.key = fx.rsa;
	return &s;
}

/* Verifies token (freed here) at now: want NULL expects it accepted, else refused with want in why. */
static void
expect_at(struct token_verifier *v, char *token, time_t now, const char *want, int line)
{
	struct token_claims c;
	char why[256] = "";
	int rc = token_verify(v, token, now, &c, why, sizeof(why));

	free(token);
	if (want == NULL && rc != 0)
		fail_msg("line %d: refused (%s), should be accepted", line, why);
	if (want != NULL && rc == 0)
		fail_msg("line %d: accepted, should be refused (%s)", line, want);
	if (want != NULL && strstr(why, want) == NULL)
		fail_msg("line %d: refused with \"%s\", expected \"%s\"", line, why, want);
	if (want == NULL)
		assert_string_equal(c.sub, USER);
}

/* "a.b" (the caller frees). */
static char *
joined(const char *a, const char *b)
{
	size_t len = strlen(a) + strlen(b) + 2;
	char *out = malloc(len);

	assert_non_null(out);
	assert_int_equal(str_fmt(out, len, "%s.%s", a, b), 0);
	return out;
}

#define EXPECT(v, token, want) expect_at((v), (token), NOW, (want), __LINE__)
#define EXPECT_AT(v, token, now, want) expect_at((v), (token), (now), (want), __LINE__)

static struct token_verifier *
verifier(const char *secret, const char *jwks, const char *issuer)
{
	struct config cfg = {
		.supabase_jwt_secret = (char *)secret,
		.supabase_jwks_file = (char *)jwks,
		.supabase_jwt_issuer = (char *)issuer,
		.supabase_jwt_audience = "authenticated",
		.jwt_leeway_seconds = 30,
	};
	char err[512];
	struct token_verifier *v = token_verifier_new(&cfg, err, sizeof(err));

	if (v == NULL)
		fail_msg("token_verifier_new: %s", err);
	return v;
}

/* A JWK of key's public half, with kid (the caller puts it). */
static json_object *
jwk_of(EVP_PKEY *key, const char *kid)
{
	bool ec = EVP_PKEY_is_a(key, "EC");
	BIGNUM *a = NULL, *b = NULL;
	unsigned char buf[1024];
	json_object *jwk = json_object_new_object();
	char *s;
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(key, ec ? OSSL_PKEY_PARAM_EC_PUB_X : OSSL_PKEY_PARAM_RSA_N, &a), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(key, ec ? OSSL_PKEY_PARAM_EC_PUB_Y : OSSL_PKEY_PARAM_RSA_E, &b), 1);
	json_object_object_add(jwk, "kty", json_object_new_string(ec ? "EC" : "RSA"));
	if (ec)
		json_object_object_add(jwk, "crv", json_object_new_string("P-256"));
	n = ec ? BN_bn2binpad(a, buf, 32) : BN_bn2bin(a, buf);
	json_object_object_add(jwk, ec ? "x" : "n", json_object_new_string(s = b64url(buf, (size_t)n)));
	free(s);
	n = ec ? BN_bn2binpad(b, buf, 32) : BN_bn2bin(b, buf);
	json_object_object_add(jwk, ec ? "y" : "e", json_object_new_string(s = b64url(buf, (size_t)n)));
	free(s);
	if (kid != NULL)
		json_object_object_add(jwk, "kid", json_object_new_string(kid));
	json_object_object_add(jwk, "alg", json_object_new_string(ec ? "ES256" : "RS256"));
	json_object_object_add(jwk, "use", json_object_new_string("sig"));
	BN_free(a);
	BN_free(b);
	return jwk;
}

/* Writes text to path in place (same inode when it exists) and sets its mtime to mtime. */
static void
write_file(const char *path, const char *text, time_t mtime)
{
	FILE *f = fopen(path, "w");
	struct timespec times[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* Writes a key set of the given keys (kid NULL: a JWK without kid) to path. */
static void
write_jwks(const char *path, time_t mtime, EVP_PKEY *k1, const char *kid1, EVP_PKEY *k2, const char *kid2)
{
	json_object *set = json_object_new_object(), *keys = json_object_new_array();

	json_object_array_add(keys, jwk_of(k1, kid1));
	if (k2 != NULL)
		json_object_array_add(keys, jwk_of(k2, kid2));
	json_object_object_add(set, "keys", keys);
	write_file(path, json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN), mtime);
	json_object_put(set);
}

/* A path in the test's directory (a static buffer per call site is not needed: the caller copies). */
static void
path_in(char *buf, size_t len, const char *name)
{
	assert_int_equal(str_fmt(buf, len, "%s/%s", fx.dir, name), 0);
}

static char *
public_pem(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, key), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_non_null(copy = strndup(data, (size_t)n));
	BIO_free(bio);
	return copy;
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	json_object *jwk;

	if (str_fmt(fx.dir, sizeof(fx.dir), "%s/test_token.XXXXXX", tmp) != 0 || mkdtemp(fx.dir) == NULL)
		return -1;
	if ((fx.ec = EVP_EC_gen("P-256")) == NULL || (fx.ec2 = EVP_EC_gen("P-256")) == NULL ||
	    (fx.rsa = EVP_RSA_gen(2048)) == NULL || (fx.rsa_small = EVP_RSA_gen(1024)) == NULL)
		return -1;
	path_in(fx.jwks, sizeof(fx.jwks), "jwks.json");
	write_jwks(fx.jwks, NOW - 100, fx.ec, "ec-1", fx.rsa, "rsa-1");
	fx.rsa_pem = public_pem(fx.rsa);
	jwk = jwk_of(fx.ec, "ec-1");
	fx.ec_jwk = strdup(json_object_to_json_string_ext(jwk, JSON_C_TO_STRING_PLAIN));
	json_object_put(jwk);
	return fx.ec_jwk != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	const char *names[] = { "jwks.json", "two-ec.json", "bad.json", "rot.json" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (str_fmt(path, sizeof(path), "%s/%s", fx.dir, names[i]) == 0)
			unlink(path);
	rmdir(fx.dir);
	EVP_PKEY_free(fx.ec);
	EVP_PKEY_free(fx.ec2);
	EVP_PKEY_free(fx.rsa);
	EVP_PKEY_free(fx.rsa_small);
	free(fx.rsa_pem);
	free(fx.ec_jwk);
	return 0;
}

static void
test_hs256_valid(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, NULL);
	struct token_claims c;
	char why[128], *token = mint(hs(), HS_HEADER, std_claims());

	assert_int_equal(token_verify(v, token, NOW, &c, why, sizeof(why)), 0);
	assert_string_equal(c.sub, USER);
	assert_string_equal(c.role, "authenticated");
	assert_int_equal((long long)c.exp, (long long)NOW + 3600);
	free(token);
	/* a kid (Supabase sends one with HS256 too), no typ, exp as a fraction, no role, no iat */
	EXPECT(v, mint(hs(), "{\"alg\":\"HS256\",\"kid\":\"abc\",\"typ\":\"JWT\"}", std_claims()), NULL);
	EXPECT(v, mint(hs(), "{\"alg\":\"HS256\"}", std_claims()), NULL);
	token = mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld.5}",
	    (long long)NOW + 60));
	assert_int_equal(token_verify(v, token, NOW, &c, why, sizeof(why)), 0);
	assert_string_equal(c.role, "");
	assert_int_equal((long long)c.exp, (long long)NOW + 60);
	free(token);
	token_verifier_free(v);
}

static void
test_es256_rs256_valid(void **state)
{
	struct token_verifier *v = verifier(NULL, fx.jwks, NULL), *all = verifier(SECRET, fx.jwks, NULL);

	EXPECT(v, mint(es(), ES_HEADER, std_claims()), NULL);
	EXPECT(v, mint(rs(), RS_HEADER, std_claims()), NULL);
	/* without kid: the only key of its kind */
	EXPECT(v, mint(es(), "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", std_claims()), NULL);
	EXPECT(v, mint(rs(), "{\"alg\":\"RS256\"}", std_claims()), NULL);
	/* secret and keys together: all three */
	EXPECT(all, mint(hs(), HS_HEADER, std_claims()), NULL);
	EXPECT(all, mint(es(), ES_HEADER, std_claims()), NULL);
	EXPECT(all, mint(rs(), RS_HEADER, std_claims()), NULL);
	token_verifier_free(v);
	token_verifier_free(all);
}

static void
test_alg_none(void **state)
{
	static const char *headers[] = {
		"{\"alg\":\"none\"}", "{\"alg\":\"None\",\"typ\":\"JWT\"}", "{\"alg\":\"NONE\"}", "{\"alg\":\"nOnE\"}",
	};
	const struct signer none = { .how = SIGN_NONE };
	struct token_verifier *v = verifier(SECRET, fx.jwks, NULL);

	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		EXPECT(v, mint(&none, headers[i], std_claims()), "alg none refused");
		EXPECT(v, mint(hs(), headers[i], std_claims()), "alg none refused");
	}
	EXPECT(v, mint(hs(), "{\"alg\":\"HS512\"}", std_claims()), "alg not accepted");
	EXPECT(v, mint(rs(), "{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}", std_claims()), "alg not accepted");
	EXPECT(v, mint(es(), "{\"alg\":\"es256\",\"kid\":\"ec-1\"}", std_claims()), "alg not accepted");
	EXPECT(v, mint(hs(), "{\"typ\":\"JWT\"}", std_claims()), "alg missing");
	EXPECT(v, mint(hs(), "{\"alg\":null}", std_claims()), "alg missing");
	EXPECT(v, mint(hs(), "{\"alg\":256}", std_claims()), "alg not a string");
	EXPECT(v, mint(hs(), "{\"alg\":\"HS256\",\"typ\":\"JWE\"}", std_claims()), "typ not JWT");
	EXPECT(v, mint(hs(), "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", std_claims()), "crit");
	EXPECT(v, mint(hs(), "{\"alg\":\"HS256\",\"kid\":7}", std_claims()), "kid not a string");
	token_verifier_free(v);
}

static void
test_alg_confusion(void **state)
{
	struct signer pem = { .how = SIGN_HS256, .secret = fx.rsa_pem }, jwk = { .how = SIGN_HS256, .secret = fx.ec_jwk };
	struct token_verifier *keys = verifier(NULL, fx.jwks, NULL), *all = verifier(SECRET, fx.jwks, NULL);
	struct token_verifier *secret = verifier(SECRET, NULL, NULL);

	/* HS256 "signed" with public key material: HS256 only ever uses SUPABASE_JWT_SECRET */
	EXPECT(keys, mint(&pem, HS_HEADER, std_claims()), "HS256 not configured");
	EXPECT(keys, mint(&pem, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", std_claims()), "HS256 not configured");
	EXPECT(keys, mint(&jwk, "{\"alg\":\"HS256\",\"kid\":\"ec-1\"}", std_claims()), "HS256 not configured");
	EXPECT(all, mint(&pem, HS_HEADER, std_claims()), "bad signature");
	EXPECT(all, mint(&pem, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", std_claims()), "bad signature");
	EXPECT(all, mint(&jwk, "{\"alg\":\"HS256\",\"kid\":\"ec-1\"}", std_claims()), "bad signature");
	/* an alg naming a key of the other kind */
	EXPECT(all, mint(rs(), "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}", std_claims()), "alg does not match the key");
	EXPECT(all, mint(es(), "{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}", std_claims()), "alg does not match the key");
	/* no key set: ES256 and RS256 are not accepted at all */
	EXPECT(secret, mint(es(), ES_HEADER, std_claims()), "ES256 not configured");
	EXPECT(secret, mint(rs(), RS_HEADER, std_claims()), "RS256 not configured");
	token_verifier_free(keys);
	token_verifier_free(all);
	token_verifier_free(secret);
}

static void
test_bad_signature(void **state)
{
	struct signer hs_flip = *hs(), es_flip = *es(), rs_flip = *rs(), other = { .how = SIGN_ES256, .key = fx.ec2 };
	struct token_verifier *v = verifier(SECRET, fx.jwks, NULL);
	char *a, *b, *dot;

	hs_flip.flip = es_flip.flip = rs_flip.flip = true;
	EXPECT(v, mint(&hs_flip, HS_HEADER, std_claims()), "bad signature");
	EXPECT(v, mint(&es_flip, ES_HEADER, std_claims()), "bad signature");
	EXPECT(v, mint(&rs_flip, RS_HEADER, std_claims()), "bad signature");
	EXPECT(v, mint(&other, ES_HEADER, std_claims()), "bad signature");
	struct signer wrong_secret = { .how = SIGN_HS256, .secret = SECRET "x" };
	EXPECT(v, mint(&wrong_secret, HS_HEADER, std_claims()), "bad signature");
	/* the claims of one token under the signature of another */
	a = mint(hs(), HS_HEADER, std_claims());
	b = mint(hs(), HS_HEADER, claims("{\"sub\":\"someone-else\",\"aud\":\"authenticated\",\"exp\":%lld}",
	    (long long)NOW + 60));
	dot = strrchr(b, '.');
	memcpy(dot + 1, strrchr(a, '.') + 1, strlen(dot + 1));
	free(a);
	EXPECT(v, b, "bad signature");
	token_verifier_free(v);
}

/* An ES256 token whose signature is OpenSSL's DER, or r||s with one byte more, is refused by length. */
static void
test_es256_length(void **state)
{
	struct token_verifier *v = verifier(NULL, fx.jwks, NULL);
	char *h64 = b64url_text(ES_HEADER), *c64 = b64url_text(std_claims()), *input, *sig64, *token;
	unsigned char der[256], rs65[65];
	size_t n = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	input = joined(h64, c64);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, fx.ec), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &n, (const unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	sig64 = b64url(der, n);
	token = joined(input, sig64);
	EXPECT(v, token, "ES256 signature not 64 bytes");
	free(sig64);
	der_to_rs(der, n, rs65);
	rs65[64] = 0;
	sig64 = b64url(rs65, sizeof(rs65));
	token = joined(input, sig64);
	EXPECT(v, token, "ES256 signature not 64 bytes");
	free(sig64);
	free(input);
	free(h64);
	free(c64);
	token_verifier_free(v);
}

static void
test_kid(void **state)
{
	char two[PATH_MAX];
	struct token_verifier *v = verifier(NULL, fx.jwks, NULL), *v2;

	EXPECT(v, mint(es(), "{\"alg\":\"ES256\",\"kid\":\"nope\"}", std_claims()), "unknown kid");
	EXPECT(v, mint(rs(), "{\"alg\":\"RS256\",\"kid\":\"\"}", std_claims()), "unknown kid");
	EXPECT(v, mint(rs(), "{\"alg\":\"RS256\",\"kid\":\"rsa-1 \"}", std_claims()), "unknown kid");
	token_verifier_free(v);
	/* two EC keys: a token without kid cannot choose */
	path_in(two, sizeof(two), "two-ec.json");
	write_jwks(two, NOW - 100, fx.ec, "ec-1", fx.ec2, "ec-2");
	v2 = verifier(NULL, two, NULL);
	EXPECT(v2, mint(es(), "{\"alg\":\"ES256\"}", std_claims()), "several keys");
	EXPECT(v2, mint(es(), ES_HEADER, std_claims()), NULL);
	EXPECT(v2, mint(rs(), "{\"alg\":\"RS256\"}", std_claims()), "no key for the alg");
	token_verifier_free(v2);
}

static void
test_exp(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, NULL);

	EXPECT(v, mint(hs(), HS_HEADER, claims(EXP_ONLY, (long long)NOW - 3600)), "expired");
	EXPECT(v, mint(hs(), HS_HEADER, claims(EXP_ONLY, (long long)NOW - 31)), "expired");
	EXPECT(v, mint(hs(), HS_HEADER, claims(EXP_ONLY, (long long)NOW - 30)), "expired");
	EXPECT(v, mint(hs(), HS_HEADER, claims(EXP_ONLY, (long long)NOW - 29)), NULL);
	EXPECT(v, mint(hs(), HS_HEADER, claims(EXP_ONLY, (long long)NOW)), NULL);
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\"}")), "exp missing");
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":null}")),
	    "exp missing");
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":\"%lld\"}",
	    (long long)NOW + 60)), "exp not a number");
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":true}")),
	    "exp not a number");
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":[1]}")),
	    "exp not a number");
	/* a huge exp is simply far away; a huge negative one long past */
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":1e300}")), NULL);
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":-1e300}")),
	    "expired");
	token_verifier_free(v);
}

static void
test_nbf_iat(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, NULL);
	long long exp = (long long)NOW + 3600;

	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_NBF, exp, (long long)NOW + 3600)), "not yet valid (nbf)");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_NBF, exp, (long long)NOW + 31)), "not yet valid (nbf)");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_NBF, exp, (long long)NOW + 30)), NULL);
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_NBF, exp, (long long)NOW - 100)), NULL);
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_IAT, exp, (long long)NOW + 3600)), "issued in the future (iat)");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_IAT, exp, (long long)NOW + 31)), "issued in the future (iat)");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_IAT, exp, (long long)NOW + 29)), NULL);
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_IAT, exp, (long long)NOW)), NULL);
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld,"
	    "\"nbf\":\"soon\"}", exp)), "nbf not a number");
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld,"
	    "\"iat\":{}}", exp)), "iat not a number");
	token_verifier_free(v);
}

static void
test_aud(void **state)
{
	static const struct { const char *aud; const char *want; } cases[] = {
		{ "\"authenticated\"", NULL },
		{ "[\"authenticated\"]", NULL },
		{ "[\"other\",\"authenticated\"]", NULL },
		{ "\"anon\"", "wrong audience" },
		{ "\"Authenticated\"", "wrong audience" },
		{ "\"authenticated \"", "wrong audience" },
		{ "\"authenticated\\u0000x\"", "wrong audience" },
		{ "[\"other\",\"anon\"]", "wrong audience" },
		{ "[]", "wrong audience" },
		{ "[[\"authenticated\"]]", "wrong audience" },
		{ "{\"aud\":\"authenticated\"}", "wrong audience" },
		{ "5", "wrong audience" },
		{ "null", "aud missing" },
	};
	struct token_verifier *v = verifier(SECRET, NULL, NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_AUD, cases[i].aud, (long long)NOW + 60)), cases[i].want);
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"exp\":%lld}", (long long)NOW + 60)),
	    "aud missing");
	token_verifier_free(v);
}

static void
test_iss(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, ISSUER), *open = verifier(SECRET, NULL, NULL);
	long long exp = (long long)NOW + 60;

	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_ISS, exp, "\"" ISSUER "\"")), NULL);
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_ISS, exp, "\"https://other.supabase.co/auth/v1\"")), "wrong issuer");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_ISS, exp, "\"" ISSUER "/\"")), "wrong issuer");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_ISS, exp, "[\"" ISSUER "\"]")), "wrong issuer");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_ISS, exp, "null")), "iss missing");
	EXPECT(v, mint(hs(), HS_HEADER, std_claims()), "iss missing");
	/* no SUPABASE_JWT_ISSUER: iss is not looked at */
	EXPECT(open, mint(hs(), HS_HEADER, claims(WITH_ISS, exp, "\"https://other.supabase.co/auth/v1\"")), NULL);
	token_verifier_free(v);
	token_verifier_free(open);
}

static void
test_sub_role(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, NULL);
	long long exp = (long long)NOW + 60;
	char long_id[200], quoted[210];

	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"aud\":\"authenticated\",\"exp\":%lld}", exp)), "sub missing");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_SUB, "null", exp)), "sub missing");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_SUB, "42", exp)), "sub not a string");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_SUB, "\"\"", exp)), "sub not a valid id");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_SUB, "\"a b\"", exp)), "sub not a valid id");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_SUB, "\"../etc\"", exp)), "sub not a valid id");
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_SUB, "\"" USER "\\u0000\"", exp)), "sub not a valid id");
	memset(long_id, 'a', VALIDATE_ID_MAX + 1);
	long_id[VALIDATE_ID_MAX + 1] = '\0';
	assert_int_equal(str_fmt(quoted, sizeof(quoted), "\"%s\"", long_id), 0);
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_SUB, quoted, exp)), "sub not a valid id");
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld,"
	    "\"role\":5}", exp)), "role not a string");
	memset(long_id, 'r', 100);
	long_id[100] = '\0';
	EXPECT(v, mint(hs(), HS_HEADER, claims("{\"sub\":\"" USER "\",\"aud\":\"authenticated\",\"exp\":%lld,"
	    "\"role\":\"%s\"}", exp, long_id)), "role too long");
	token_verifier_free(v);
}

static void
test_oversize(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, NULL);
	char *pad = malloc(7001), *big = malloc(TOKEN_MAX_BYTES + 2);

	assert_non_null(pad);
	assert_non_null(big);
	memset(pad, 'p', 5000);
	pad[5000] = '\0';
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_PAD, (long long)NOW + 60, pad)), NULL);
	memset(pad, 'p', 7000);
	pad[7000] = '\0';
	EXPECT(v, mint(hs(), HS_HEADER, claims(WITH_PAD, (long long)NOW + 60, pad)), "token too long");
	memset(big, 'a', TOKEN_MAX_BYTES + 1);
	big[TOKEN_MAX_BYTES + 1] = '\0';
	EXPECT(v, big, "token too long");
	free(pad);
	token_verifier_free(v);
}

/* A copy of token with text inserted at offset at (the caller frees). */
static char *
splice(const char *token, size_t at, const char *text)
{
	size_t len = strlen(token) + strlen(text) + 1;
	char *out = malloc(len);

	assert_non_null(out);
	memcpy(out, token, at);
	assert_int_equal(str_fmt(out + at, len - at, "%s%s", text, token + at), 0);
	return out;
}

static void
test_base64url_token(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, NULL);
	char *good = mint(hs(), HS_HEADER, std_claims()), *h64 = b64url_text(HS_HEADER), *c64 = b64url_text(std_claims());
	size_t hlen = strlen(h64), clen = strlen(c64);
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *t, *last;

	EXPECT(v, splice(good, hlen, "="), "header not base64url");
	EXPECT(v, splice(good, hlen, "=="), "header not base64url");
	EXPECT(v, splice(good, 1, "+"), "header not base64url");
	EXPECT(v, splice(good, 4, "/"), "header not base64url");
	EXPECT(v, splice(good, 0, " "), "header not base64url");
	EXPECT(v, splice(good, 8, "\n"), "header not base64url");
	EXPECT(v, splice(good, hlen, hlen % 4 == 0 ? "A" : hlen % 4 == 3 ? "AA" : "AAA"), "header not base64url");
	EXPECT(v, splice(good, strlen(good), "="), "signature not base64url");
	EXPECT(v, splice(good, strlen(good), " "), "signature not base64url");
	EXPECT(v, splice(good, strlen(good) - 3, "\t"), "signature not base64url");
	/* the HS256 signature is 43 characters: its last one has two unused bits, which must be zero */
	t = strdup(good);
	last = t + strlen(t) - 1;
	*last = alphabet[(strchr(alphabet, *last) - alphabet) ^ 1];
	EXPECT(v, t, "signature not base64url");
	/* malformed claims, signed as they are: refused when the claims are decoded */
	t = splice(c64, clen, clen % 4 == 0 ? "A" : clen % 4 == 3 ? "AA" : "AAA");
	EXPECT(v, mint_raw(h64, t, hs()), "claims not base64url");
	free(t);
	t = splice(c64, clen, "=");
	EXPECT(v, mint_raw(h64, t, hs()), "claims not base64url");
	free(t);
	t = splice(c64, 2, "+");
	EXPECT(v, mint_raw(h64, t, hs()), "claims not base64url");
	free(t);
	EXPECT(v, good, NULL);
	free(h64);
	free(c64);
	token_verifier_free(v);
}

static void
test_base64url_decode(void **state)
{
	static const struct { const char *in; const char *out; size_t len; } cases[] = {
		{ "", "", 0 }, { "QQ", "A", 1 }, { "QUI", "AB", 2 }, { "QUJD", "ABC", 3 }, { "QUJDRA", "ABCD", 4 },
		{ "-_8", "\xfb\xff", 2 }, { "AA", "\0", 1 },
		{ "Q", NULL, 0 }, { "QUJDR", NULL, 0 }, { "QQ==", NULL, 0 }, { "QQ=", NULL, 0 }, { "QR", NULL, 0 },
		{ "QUJ", NULL, 0 }, { "Q+I", NULL, 0 }, { "Q/I", NULL, 0 }, { "Q I", NULL, 0 }, { "QU\nI", NULL, 0 },
		{ "QUI.", NULL, 0 }, { "QU\xc3\xa9", NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 99;
		unsigned char *out = jwks_b64url_decode(cases[i].in, strlen(cases[i].in), &len);

		if ((out == NULL) != (cases[i].out == NULL))
			fail_msg("\"%s\" should be %s", cases[i].in, cases[i].out ? "decoded" : "refused");
		if (out != NULL && (len != cases[i].len || memcmp(out, cases[i].out, len) != 0 || out[len] != '\0'))
			fail_msg("\"%s\" decoded wrongly", cases[i].in);
		free(out);
	}
}

static void
test_not_json(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, NULL);

	EXPECT(v, mint(hs(), "alg: HS256", std_claims()), "header not JSON");
	EXPECT(v, mint(hs(), "{\"alg\":\"HS256\"", std_claims()), "header not JSON");
	EXPECT(v, mint(hs(), "{\"alg\":\"HS256\"}x", std_claims()), "header not JSON");
	EXPECT(v, mint(hs(), "{'alg':'HS256'}", std_claims()), "header not JSON");
	EXPECT(v, mint(hs(), "[\"HS256\"]", std_claims()), "header not a JSON object");
	EXPECT(v, mint(hs(), "\"HS256\"", std_claims()), "header not a JSON object");
	EXPECT(v, mint(hs(), "null", std_claims()), "header not JSON");
	EXPECT(v, mint(hs(), HS_HEADER, "sub=" USER), "claims not JSON");
	EXPECT(v, mint(hs(), HS_HEADER, "{\"sub\":\"" USER "\",}"), "claims not JSON");
	EXPECT(v, mint(hs(), HS_HEADER, "[{\"sub\":\"" USER "\"}]"), "claims not a JSON object");
	EXPECT(v, mint(hs(), HS_HEADER, "\"" USER "\""), "claims not a JSON object");
	EXPECT(v, mint(hs(), HS_HEADER, "null"), "claims not JSON");
	token_verifier_free(v);
}

static void
test_parts(void **state)
{
	struct token_verifier *v = verifier(SECRET, NULL, NULL);
	char *good = mint(hs(), HS_HEADER, std_claims()), *h64 = b64url_text(HS_HEADER);
	char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');

	EXPECT(v, splice(good, strlen(good), ".e30"), "not three parts");
	EXPECT(v, splice(good, strlen(good), "."), "not three parts");
	EXPECT(v, splice(good, 0, "."), "not three parts");
	EXPECT(v, strndup(good, (size_t)(dot2 - good)), "not three parts");
	EXPECT(v, strdup(""), "not three parts");
	EXPECT(v, strdup("abc"), "not three parts");
	EXPECT(v, strdup("..."), "not three parts");
	EXPECT(v, strdup(".."), "empty header");
	EXPECT(v, strdup(dot1), "empty header");
	EXPECT(v, splice(h64, strlen(h64), "..sig"), "empty claims");
	EXPECT(v, strndup(good, (size_t)(dot2 - good) + 1), "empty signature");
	free(good);
	free(h64);
	token_verifier_free(v);
}

static void
test_not_configured(void **state)
{
	struct token_verifier *v = verifier(NULL, NULL, NULL), *empty = verifier("", "", NULL);

	EXPECT(v, mint(hs(), HS_HEADER, std_claims()), "access tokens are not configured");
	EXPECT(v, mint(es(), ES_HEADER, std_claims()), "access tokens are not configured");
	EXPECT(empty, mint(hs(), HS_HEADER, std_claims()), "access tokens are not configured");
	token_verifier_free(v);
	token_verifier_free(empty);
}

/* token_verifier_new with a key set file holding text; want NULL expects success, else an error with want. */
static void
expect_file(const char *text, const char *want)
{
	char path[PATH_MAX], err[512] = "";
	struct config cfg = { .supabase_jwks_file = path, .supabase_jwt_audience = "authenticated" };
	struct token_verifier *v;

	path_in(path, sizeof(path), "bad.json");
	write_file(path, text, NOW);
	v = token_verifier_new(&cfg, err, sizeof(err));
	if (want == NULL && v == NULL)
		fail_msg("key set refused (%s): %s", err, text);
	if (want != NULL && (v != NULL || strstr(err, want) == NULL))
		fail_msg("key set should be refused with \"%s\" (got \"%s\"): %s", want, err, text);
	token_verifier_free(v);
}

static void
test_jwks_file_refused(void **state)
{
	struct config cfg = { .supabase_jwks_file = "/nonexistent/jwks.json", .supabase_jwt_audience = "authenticated" };
	char err[512] = "", ec[1024], text[4096];
	json_object *small = jwk_of(fx.rsa_small, "small");

	assert_null(token_verifier_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "SUPABASE_JWKS_FILE"));
	cfg = (struct config){ .supabase_jwt_secret = SECRET };
	assert_null(token_verifier_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "SUPABASE_JWT_AUDIENCE"));
	assert_int_equal(str_copy(ec, sizeof(ec), fx.ec_jwk), 0);
	expect_file("not json", "not valid JSON");
	expect_file("{\"keys\":{}}", "not a key set");
	expect_file("[]", "not a key set");
	expect_file("{\"keys\":[]}", "no usable key");
	assert_int_equal(str_fmt(text, sizeof(text), "{\"keys\":[%s]}", json_object_to_json_string(small)), 0);
	expect_file(text, "no usable key");
	expect_file("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", "no usable key");
	expect_file("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}]}", "no usable key");
	assert_int_equal(str_fmt(text, sizeof(text), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"},%s,%s]}",
	    json_object_to_json_string(small), ec), 0);
	expect_file(text, NULL);
	assert_int_equal(str_fmt(text, sizeof(text), "{\"keys\":[%s,%s]}", ec, ec), 0);
	expect_file(text, "used twice");
	expect_file("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}", "32 bytes");
	expect_file("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA\","
	    "\"y\":\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA\"}]}", "not a point");
	expect_file("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQ==\",\"e\":\"AQAB\"}]}", "\"n\"");
	expect_file("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"y\":\"AA\"}]}", "\"x\"");
	json_object_put(small);
}

/* The key set file changes under a live verifier: rewritten in place (same inode and size, only the mtime
 * tells), removed, broken, then replaced. */
static void
test_jwks_rotation(void **state)
{
	const struct signer ec1 = { .how = SIGN_ES256, .key = fx.ec }, ec2 = { .how = SIGN_ES256, .key = fx.ec2 };
	const char *k1 = "{\"alg\":\"ES256\",\"kid\":\"key-1\"}", *k2 = "{\"alg\":\"ES256\",\"kid\":\"key-2\"}";
	char path[PATH_MAX];
	struct token_verifier *v;
	struct stat before, after;

	path_in(path, sizeof(path), "rot.json");
	write_jwks(path, NOW - 100, fx.ec, "key-1", NULL, NULL);
	assert_int_equal(stat(path, &before), 0);
	v = verifier(NULL, path, NULL);
	EXPECT_AT(v, mint(&ec1, k1, std_claims()), NOW, NULL);
	write_jwks(path, NOW - 50, fx.ec2, "key-2", NULL, NULL);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_size, before.st_size);
	/* within the same second the file is not looked at again */
	EXPECT_AT(v, mint(&ec1, k1, std_claims()), NOW, NULL);
	EXPECT_AT(v, mint(&ec2, k2, std_claims()), NOW + 1, NULL);
	EXPECT_AT(v, mint(&ec1, k1, std_claims()), NOW + 1, "unknown kid");
	EXPECT_AT(v, mint(&ec1, k2, std_claims()), NOW + 1, "bad signature");
	/* gone, then broken: the last good keys stay */
	assert_int_equal(unlink(path), 0);
	EXPECT_AT(v, mint(&ec2, k2, std_claims()), NOW + 2, NULL);
	write_file(path, "{\"keys\":[", NOW - 10);
	EXPECT_AT(v, mint(&ec2, k2, std_claims()), NOW + 3, NULL);
	EXPECT_AT(v, mint(&ec2, k2, std_claims()), NOW + 4, NULL);
	/* replaced by a good file again */
	write_jwks(path, NOW - 5, fx.ec, "key-1", fx.rsa, "rsa-1");
	EXPECT_AT(v, mint(&ec1, k1, std_claims()), NOW + 5, NULL);
	EXPECT_AT(v, mint(rs(), "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", std_claims()), NOW + 5, NULL);
	EXPECT_AT(v, mint(&ec2, k2, std_claims()), NOW + 5, "unknown kid");
	token_verifier_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hs256_valid),
		cmocka_unit_test(test_es256_rs256_valid),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_alg_confusion),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_es256_length),
		cmocka_unit_test(test_kid),
		cmocka_unit_test(test_exp),
		cmocka_unit_test(test_nbf_iat),
		cmocka_unit_test(test_aud),
		cmocka_unit_test(test_iss),
		cmocka_unit_test(test_sub_role),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_base64url_token),
		cmocka_unit_test(test_base64url_decode),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_not_configured),
		cmocka_unit_test(test_jwks_file_refused),
		cmocka_unit_test(test_jwks_rotation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
