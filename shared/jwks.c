/* jwks.c: strict base64url, JWK public keys (EC P-256 from x/y, RSA from n/e) built with OSSL_PARAM_BLD and
 * EVP_PKEY_fromdata, the set parsed with json-c, and the key set file re-read when stat says it changed. */
#include "shared/jwks.h"

#include "shared/json.h"
#include "shared/log.h"
#include "shared/str.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EC_COORD_BYTES 32

struct jwks_key {
	char kid[JWKS_KID_MAX + 1];
	bool has_kid;
	enum jwks_type type;
	EVP_PKEY *pkey;         /* owned by the set */
};

struct jwks {
	size_t n;
	struct jwks_key keys[]; /* n of them */
};

struct jwks_file {
	char *path;             /* owned copy */
	struct jwks *set;       /* the last good keys (owned; never NULL) */
	struct stat seen;       /* the file they were read from */
	time_t looked;          /* the second of the last stat */
	char warned[512];       /* the failure last logged ("" after a good look) */
};

static bool
b64url_text(const char *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_'))
			return false;
	}
	return true;
}

unsigned char *
jwks_b64url_decode(const char *in, size_t inlen, size_t *outlen)
{
	size_t padded = (inlen + 3) / 4 * 4, want = inlen / 4 * 3 + (inlen % 4 == 0 ? 0 : inlen % 4 - 1);
	char *std = NULL, *again = NULL;
	unsigned char *bytes = NULL, *result = NULL;

	if (inlen % 4 == 1 || inlen > INT_MAX / 2 || !b64url_text(in, inlen))
		goto out;
	/* all three freed below except the decoded bytes, which go to the caller */
	if ((std = malloc(padded + 1)) == NULL || (again = malloc(padded + 1)) == NULL ||
	    (bytes = malloc(padded / 4 * 3 + 1)) == NULL)
		goto out;
	for (size_t i = 0; i < inlen; i++)
		std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	memset(std + inlen, '=', padded - inlen);
	/* EVP_DecodeBlock counts the bytes the padding stands for too: a whole block per 4 characters */
	if (EVP_DecodeBlock(bytes, (const unsigned char *)std, (int)padded) != (int)(padded / 4 * 3))
		goto out;
	/* canonical: encoding the bytes again gives the same text (the unused bits were zero) */
	if (EVP_EncodeBlock((unsigned char *)again, bytes, (int)want) != (int)padded ||
	    memcmp(again, std, padded) != 0)
		goto out;
	bytes[want] = '\0';
	*outlen = want;
	result = bytes;
	bytes = NULL;
out:
	free(std);
	free(again);
	free(bytes);
	return result;
}

/* The base64url member name of jwk, decoded (at least one byte; the caller frees); NULL with err. */
static unsigned char *
jwk_bytes(json_object *jwk, const char *name, size_t *len, char *err, size_t errlen)
{
	const char *text = NULL;
	unsigned char *bytes = NULL;

	if (json_get_string(jwk, name, &text) == JSON_FIELD_OK)
		bytes = jwks_b64url_decode(text, strlen(text), len);
	if (bytes != NULL && *len > 0)
		return bytes;
	free(bytes);
	(void)str_fmt(err, errlen, "\"%s\" is missing or not base64url", name);
	return NULL;
}

/* A public key of kind name ("EC", "RSA") from params, checked by OpenSSL; NULL when OpenSSL refuses it. */
static EVP_PKEY *
pkey_from_params(const char *name, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL), *check = NULL;
	EVP_PKEY *pkey = NULL;

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL || EVP_PKEY_public_check(check) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* An EC P-256 key from x and y (32 bytes each); NULL with err. */
static EVP_PKEY *
ec_key(json_object *jwk, char *err, size_t errlen)
{
	unsigned char *x = NULL, *y = NULL, point[1 + 2 * EC_COORD_BYTES];
	size_t xlen = 0, ylen = 0;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if ((x = jwk_bytes(jwk, "x", &xlen, err, errlen)) == NULL || (y = jwk_bytes(jwk, "y", &ylen, err, errlen)) == NULL)
		goto out;
	if (xlen != EC_COORD_BYTES || ylen != EC_COORD_BYTES) {
		(void)str_fmt(err, errlen, "\"x\" and \"y\" must be %d bytes each", EC_COORD_BYTES);
		goto out;
	}
	point[0] = 0x04; /* uncompressed: 04 || x || y */
	memcpy(point + 1, x, EC_COORD_BYTES);
	memcpy(point + 1 + EC_COORD_BYTES, y, EC_COORD_BYTES);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if ((pkey = pkey_from_params("EC", params)) == NULL)
		(void)str_fmt(err, errlen, "x, y is not a point of P-256");
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return pkey;
}

/* An RSA key from n and e; NULL with err (*small set when OpenSSL took it but it is under 2048 bits). */
static EVP_PKEY *
rsa_key(json_object *jwk, bool *small, char *err, size_t errlen)
{
	unsigned char *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if ((n = jwk_bytes(jwk, "n", &nlen, err, errlen)) == NULL || (e = jwk_bytes(jwk, "e", &elen, err, errlen)) == NULL)
		goto out;
	if (nlen > JWKS_RSA_MAX_BITS / 8 || elen > 8) {
		(void)str_fmt(err, errlen, "\"n\" or \"e\" is too long");
		goto out;
	}
	/* the params copy the numbers, so both are freed below */
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL || (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1 || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if ((pkey = pkey_from_params("RSA", params)) == NULL)
		(void)str_fmt(err, errlen, "n, e is not an RSA public key");
	else if (EVP_PKEY_get_bits(pkey) < JWKS_RSA_MIN_BITS) {
		(void)str_fmt(err, errlen, "RSA key of %d bits (at least %d needed)", EVP_PKEY_get_bits(pkey),
		    JWKS_RSA_MIN_BITS);
		*small = true;
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pkey;
}

/* Whether optional member name of jwk is absent or the string want. */
static bool
member_absent_or(json_object *jwk, const char *name, const char *want)
{
	const char *s = NULL;
	enum json_field f = json_get_string(jwk, name, &s);

	return f == JSON_FIELD_MISSING || (f == JSON_FIELD_OK && strcmp(s, want) == 0);
}

/* Which kind of key jwk is: 0 and *type, 1 when it is of no supported kind (skipped, reason in err). */
static int
key_kind(json_object *jwk, enum jwks_type *type, char *err, size_t errlen)
{
	const char *kty = NULL, *crv = NULL;

	if (json_get_string(jwk, "kty", &kty) != JSON_FIELD_OK) {
		(void)str_fmt(err, errlen, "no \"kty\"");
		return 1;
	}
	if (!member_absent_or(jwk, "use", "sig")) {
		(void)str_fmt(err, errlen, "\"use\" is not \"sig\"");
		return 1;
	}
	if (strcmp(kty, "EC") == 0 && member_absent_or(jwk, "alg", "ES256")) {
		*type = JWKS_EC_P256;
		if (json_get_string(jwk, "crv", &crv) != JSON_FIELD_OK || strcmp(crv, "P-256") != 0) {
			(void)str_fmt(err, errlen, "EC key not on P-256");
			return 1;
		}
		return 0;
	}
	if (strcmp(kty, "RSA") == 0 && member_absent_or(jwk, "alg", "RS256")) {
		*type = JWKS_RSA;
		return 0;
	}
	(void)str_fmt(err, errlen, "kty and alg are not EC/ES256 or RSA/RS256");
	return 1;
}

/* Parses jwk into key: 0, 1 when skipped (reason in err), -1 when malformed (err). */
static int
key_parse(json_object *jwk, struct jwks_key *key, char *err, size_t errlen)
{
	const char *kid = NULL;
	enum json_field f;
	bool small = false;
	int kind;

	if (!json_object_is_type(jwk, json_type_object)) {
		(void)str_fmt(err, errlen, "is not an object");
		return -1;
	}
	if ((f = json_get_string(jwk, "kid", &kid)) != JSON_FIELD_OK && f != JSON_FIELD_MISSING) {
		(void)str_fmt(err, errlen, "\"kid\" is not a string");
		return -1;
	}
	key->has_kid = f == JSON_FIELD_OK;
	if (key->has_kid && str_copy(key->kid, sizeof(key->kid), kid) != 0) {
		(void)str_fmt(err, errlen, "\"kid\" is longer than %d bytes", JWKS_KID_MAX);
		return -1;
	}
	if ((kind = key_kind(jwk, &key->type, err, errlen)) != 0)
		return kind;
	key->pkey = key->type == JWKS_EC_P256 ? ec_key(jwk, err, errlen) : rsa_key(jwk, &small, err, errlen);
	if (key->pkey == NULL)
		return small ? 1 : -1;
	return 0;
}

/* Whether a kept key of set already has key's kid. */
static bool
kid_taken(const struct jwks *set, const struct jwks_key *key)
{
	for (size_t i = 0; key->has_kid && i < set->n; i++)
		if (set->keys[i].has_kid && strcmp(set->keys[i].kid, key->kid) == 0)
			return true;
	return false;
}

/* Adds the keys of array to set: 0, or -1 with err naming the key. */
static int
add_keys(struct jwks *set, json_object *array, char *err, size_t errlen)
{
	char why[256];

	for (size_t i = 0; i < json_object_array_length(array); i++) {
		struct jwks_key *key = &set->keys[set->n];
		int rc;

		*key = (struct jwks_key){ .pkey = NULL };
		rc = key_parse(json_object_array_get_idx(array, i), key, why, sizeof(why));
		if (rc < 0 || (rc == 0 && kid_taken(set, key))) {
			(void)str_fmt(err, errlen, "key %zu: %s", i, rc < 0 ? why : "its kid is used twice");
			EVP_PKEY_free(key->pkey);
			return -1;
		}
		if (rc > 0)
			log_warn("key set: key %zu (kid \"%s\") skipped: %s", i, key->has_kid ? key->kid : "", why);
		else
			set->n++;
	}
	return 0;
}

struct jwks *
jwks_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_object *root = NULL, *array = NULL;
	struct jwks *set = NULL;
	char jerr[128];
	size_t n;

	if ((root = json_parse(text, len, jerr, sizeof(jerr))) == NULL) {
		(void)str_fmt(err, errlen, "not a key set: %s", jerr);
		goto out;
	}
	if (!json_object_is_type(root, json_type_object) || !json_object_object_get_ex(root, "keys", &array) ||
	    !json_object_is_type(array, json_type_array)) {
		(void)str_fmt(err, errlen, "not a key set (an object with a \"keys\" array)");
		goto out;
	}
	if ((n = json_object_array_length(array)) > JWKS_MAX_KEYS) {
		(void)str_fmt(err, errlen, "more than %d keys", JWKS_MAX_KEYS);
		goto out;
	}
	/* freed by jwks_free, with the keys' EVP_PKEYs */
	if ((set = calloc(1, sizeof(*set) + n * sizeof(set->keys[0]))) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if (add_keys(set, array, err, errlen) != 0 || (set->n == 0 && str_fmt(err, errlen, "no usable key") == 0)) {
		jwks_free(set);
		set = NULL;
	}
out:
	json_object_put(root);
	return set;
}

void
jwks_free(struct jwks *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		EVP_PKEY_free(set->keys[i].pkey);
	free(set);
}

EVP_PKEY *
jwks_find(const struct jwks *set, const char *kid, enum jwks_type type, char *why, size_t whylen)
{
	const struct jwks_key *found = NULL;
	size_t fits = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct jwks_key *k = &set->keys[i];

		if (kid != NULL && k->has_kid && strcmp(k->kid, kid) == 0)
			found = k;
		if (kid == NULL && k->type == type && fits++ == 0)
			found = k;
	}
	if (kid != NULL && found == NULL)
		(void)str_fmt(why, whylen, "unknown kid");
	else if (kid != NULL && found->type != type)
		(void)str_fmt(why, whylen, "alg does not match the key");
	else if (kid == NULL && fits != 1)
		(void)str_fmt(why, whylen, fits == 0 ? "no key for the alg" : "no kid and several keys fit");
	else
		return found->pkey;
	return NULL;
}

/* Reads the whole regular file fd (at most JWKS_MAX_BYTES) into a heap buffer the caller frees. */
static char *
read_all(int fd, const struct stat *st, size_t *len, char *err, size_t errlen)
{
	size_t got = 0, size = (size_t)st->st_size;
	char *buf;
	ssize_t n;

	if (!S_ISREG(st->st_mode) || st->st_size > JWKS_MAX_BYTES) {
		(void)str_fmt(err, errlen, "not a regular file of at most %d bytes", JWKS_MAX_BYTES);
		return NULL;
	}
	if ((buf = malloc(size + 1)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	/* one byte more than stat said, to notice a file that grew while it was read */
	while (got <= size && (n = read(fd, buf + got, size + 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || got + (size_t)n > size) {
			(void)str_fmt(err, errlen, "%s", n < 0 ? strerror(errno) : "it grew while it was read");
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	*len = got;
	return buf;
}

/* Reads and parses path; *st describes the file read. NULL with err. */
static struct jwks *
load(const char *path, struct stat *st, char *err, size_t errlen)
{
	struct jwks *set = NULL;
	char *text = NULL, why[400];
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, st) != 0) {
		(void)str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((text = read_all(fd, st, &len, why, sizeof(why))) == NULL ||
	    (set = jwks_parse(text, len, why, sizeof(why))) == NULL)
		(void)str_fmt(err, errlen, "%s: %s", path, why);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return set;
}

struct jwks_file *
jwks_file_open(const char *path, char *err, size_t errlen)
{
	struct jwks_file *f = calloc(1, sizeof(*f));
	char why[512];

	if (f == NULL || (f->path = strdup(path)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		goto fail;
	}
	if ((f->set = load(path, &f->seen, why, sizeof(why))) == NULL) {
		(void)str_fmt(err, errlen, "SUPABASE_JWKS_FILE: %s", why);
		goto fail;
	}
	return f;
fail:
	jwks_file_close(f);
	return NULL;
}

void
jwks_file_close(struct jwks_file *f)
{
	if (f == NULL)
		return;
	jwks_free(f->set);
	free(f->path);
	free(f);
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

const struct jwks *
jwks_file_keys(struct jwks_file *f, time_t now)
{
	struct stat st;
	struct jwks *set;
	char why[512];

	if (now == f->looked)
		return f->set;
	f->looked = now;
	if (stat(f->path, &st) == 0 && same_file(&st, &f->seen)) {
		f->warned[0] = '\0';
		return f->set;
	}
	if ((set = load(f->path, &st, why, sizeof(why))) == NULL) {
		/* tried again every second until it reads; each new reason said once */
		if (strcmp(why, f->warned) != 0)
			log_warn("SUPABASE_JWKS_FILE: %s; keeping the %zu key(s) read before", why, f->set->n);
		(void)str_fmt(f->warned, sizeof(f->warned), "%s", why); /* same size as why */
		return f->set;
	}
	jwks_free(f->set);
	f->set = set;
	f->seen = st;
	f->warned[0] = '\0';
	log_info("SUPABASE_JWKS_FILE %s read again: %zu key(s)", f->path, set->n);
	return f->set;
}
