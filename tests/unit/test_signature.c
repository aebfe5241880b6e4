/* test_signature.c: Standard Webhooks verification, table-driven: the scheme's published example and a
 * signature computed here with OpenSSL pass; so do several signatures where one matches, other versions
 * beside a v1 item, and timestamps at the edge of the window. A wrong key, a tampered body, id or
 * timestamp, timestamps too old or in the future, missing or malformed headers and secrets that are not
 * whsec_<base64 of 24-64 bytes> fail with the right result, and the reason names no secret or signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"             /* 24 bytes */
#define OTHER "whsec_c2Vjb25kLWtleS1ieXRlcy1mb3ItdGhlLXRlc3RzLTMyYg==" /* 34 bytes */
/* keys of 64 bytes (the most) and of 66 (too many) */
#define KEY64 "whsec_Q0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQw=="
#define KEY66 "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
#define ID "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
#define TS "1700000000"
#define T0 1700000000
#define BODY "{\"type\":\"INSERT\",\"table\":\"videos\",\"record\":{\"id\":\"v1\"}}"

/* The v1 item for (secret, id, timestamp, body), computed here with OpenSSL alone: the key is the base64
 * after "whsec_", the message "<id>.<timestamp>.<body>". */
static void
expected_item(const char *secret, const char *id, const char *ts, const char *body, char out[64])
{
	unsigned char key[128], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	const char *b64 = secret + strlen("whsec_");
	size_t n = strlen(b64);
	char *msg = malloc(strlen(id) + strlen(ts) + strlen(body) + 3);
	int keylen;

	assert_non_null(msg);
	keylen = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)n);
	assert_true(keylen > 0);
	keylen -= (n > 0 && b64[n - 1] == '=') + (n > 1 && b64[n - 2] == '=');
	sprintf(msg, "%s.%s.%s", id, ts, body);
	assert_non_null(HMAC(EVP_sha256(), key, keylen, (const unsigned char *)msg, strlen(msg), mac, &maclen));
	assert_int_equal(maclen, 32);
	memcpy(out, "v1,", 3);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen), 44);
	free(msg);
}

/* header with each @NAME@ replaced: @SIG@ the right item; @OTHERKEY@, @OTHERBODY@, @OTHERID@, @OTHERTS@
 * an item signed with another key, or over another body, id or timestamp. */
static void
expand(const char *tmpl, char *out, size_t outlen)
{
	static const struct { const char *name, *secret, *id, *ts, *body; } subs[] = {
		{ "@SIG@", SECRET, ID, TS, BODY },
		{ "@OTHERKEY@", OTHER, ID, TS, BODY },
		{ "@OTHERBODY@", SECRET, ID, TS, "{\"type\":\"INSERT\",\"table\":\"videos\",\"record\":{\"id\":\"v2\"}}" },
		{ "@OTHERID@", SECRET, "msg_other", TS, BODY },
		{ "@OTHERTS@", SECRET, ID, "1700000001", BODY },
	};
	size_t o = 0;

	while (*tmpl != '\0') {
		size_t i, n = sizeof(subs) / sizeof(subs[0]);

		for (i = 0; i < n; i++)
			if (strncmp(tmpl, subs[i].name, strlen(subs[i].name)) == 0)
				break;
		if (i < n) {
			char item[64];

			expected_item(subs[i].secret, subs[i].id, subs[i].ts, subs[i].body, item);
			assert_true(o + strlen(item) < outlen);
			memcpy(out + o, item, strlen(item));
			o += strlen(item);
			tmpl += strlen(subs[i].name);
		} else {
			assert_true(o + 1 < outlen);
			out[o++] = *tmpl++;
		}
	}
	out[o] = '\0';
}

struct vcase {
	const char *what;
	const char *secret;
	const char *id, *ts, *header; /* NULL: the header is absent */
	long age;                     /* now - T0 */
	enum signature_result want;
};

static const struct vcase cases[] = {
	{ "valid", SECRET, ID, TS, "@SIG@", 0, SIGNATURE_OK },
	{ "valid, secret as Supabase shows it", "v1," SECRET, ID, TS, "@SIG@", 0, SIGNATURE_OK },
	{ "several, the last matches", SECRET, ID, TS, "@OTHERKEY@ @OTHERBODY@ @SIG@", 0, SIGNATURE_OK },
	{ "several, the first matches", SECRET, ID, TS, "@SIG@ @OTHERKEY@", 0, SIGNATURE_OK },
	{ "other versions skipped", SECRET, ID, TS, "v1a,c2lnbmF0dXJl @SIG@", 0, SIGNATURE_OK },
	{ "extra spaces", SECRET, ID, TS, "  @OTHERKEY@   @SIG@  ", 0, SIGNATURE_OK },
	{ "timestamp at the tolerance, old side", SECRET, ID, TS, "@SIG@", 300, SIGNATURE_OK },
	{ "timestamp at the tolerance, future side", SECRET, ID, TS, "@SIG@", -300, SIGNATURE_OK },
	{ "wrong key", SECRET, ID, TS, "@OTHERKEY@", 0, SIGNATURE_MISMATCH },
	{ "tampered body", SECRET, ID, TS, "@OTHERBODY@", 0, SIGNATURE_MISMATCH },
	{ "another id", SECRET, ID, TS, "@OTHERID@", 0, SIGNATURE_MISMATCH },
	{ "another timestamp", SECRET, ID, TS, "@OTHERTS@", 0, SIGNATURE_MISMATCH },
	{ "several, none matches", SECRET, ID, TS, "@OTHERKEY@ @OTHERBODY@ @OTHERID@", 0, SIGNATURE_MISMATCH },
	{ "empty v1 item", SECRET, ID, TS, "v1,", 0, SIGNATURE_MISMATCH },
	{ "v1 item not base64", SECRET, ID, TS, "v1,not*base64!", 0, SIGNATURE_MISMATCH },
	{ "v1 item of 33 bytes", SECRET, ID, TS, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, SIGNATURE_MISMATCH },
	{ "v1 item of 31 bytes", SECRET, ID, TS, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", 0, SIGNATURE_MISMATCH },
	{ "too old", SECRET, ID, TS, "@SIG@", 301, SIGNATURE_STALE },
	{ "much too old", SECRET, ID, TS, "@SIG@", 86400 * 365, SIGNATURE_STALE },
	{ "in the future", SECRET, ID, TS, "@SIG@", -301, SIGNATURE_STALE },
	{ "id missing", SECRET, NULL, TS, "@SIG@", 0, SIGNATURE_MISSING },
	{ "timestamp missing", SECRET, ID, NULL, "@SIG@", 0, SIGNATURE_MISSING },
	{ "signature missing", SECRET, ID, TS, NULL, 0, SIGNATURE_MISSING },
	{ "id empty", SECRET, "", TS, "@SIG@", 0, SIGNATURE_MISSING },
	{ "timestamp empty", SECRET, ID, "", "@SIG@", 0, SIGNATURE_MISSING },
	{ "signature empty", SECRET, ID, TS, "", 0, SIGNATURE_MISSING },
	{ "signature only spaces", SECRET, ID, TS, "   ", 0, SIGNATURE_MALFORMED },
	{ "no v1 item", SECRET, ID, TS, "v2,c2lnbmF0dXJl", 0, SIGNATURE_MALFORMED },
	{ "no version", SECRET, ID, TS, "c2lnbmF0dXJl", 0, SIGNATURE_MALFORMED },
	{ "timestamp not digits", SECRET, ID, "soon", "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "timestamp with a sign", SECRET, ID, "+1700000000", "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "timestamp negative", SECRET, ID, "-1700000000", "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "timestamp with a space", SECRET, ID, " 1700000000", "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "timestamp with a fraction", SECRET, ID, "1700000000.5", "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "timestamp in milliseconds past year 9999", SECRET, ID, "1700000000000000", "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "timestamp overflowing", SECRET, ID, "99999999999999999999999", "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "id with a space", SECRET, "msg 1", TS, "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "id with a control character", SECRET, "msg\n1", TS, "@SIG@", 0, SIGNATURE_MALFORMED },
	{ "secret without whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
	{ "secret with another prefix", "whsek_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
	{ "secret whsec_ alone", "whsec_", ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
	{ "secret not base64", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La!aSw", ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
	{ "secret base64 unpadded", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
	{ "secret of 23 bytes", "whsec_QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=", ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
	{ "secret of 64 bytes", KEY64, ID, TS, "@OTHERKEY@", 0, SIGNATURE_MISMATCH },
	{ "secret of 16 bytes", "whsec_MDEyMzQ1Njc4OWFiY2RlZg==", ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
	{ "secret of 66 bytes", KEY66, ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
	{ "secret unset", NULL, ID, TS, "@SIG@", 0, SIGNATURE_BAD_SECRET },
};

static void
test_table(void **state)
{
	char good[64];

	expected_item(SECRET, ID, TS, BODY, good);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];
		char header[1024], why[256] = "";
		enum signature_result r;

		if (c->header != NULL)
			expand(c->header, header, sizeof(header));
		r = signature_verify(c->secret, c->id, c->ts, BODY, strlen(BODY), c->header ? header : NULL,
		    (time_t)(T0 + c->age), 300, why, sizeof(why));
		if (r != c->want)
			fail_msg("%s: result %d, expected %d (%s)", c->what, (int)r, (int)c->want, why);
		if (r != SIGNATURE_OK && strlen(why) < 10)
			fail_msg("%s: no reason given", c->what);
		if (strstr(why, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") != NULL || strstr(why, "c2Vjb25k") != NULL ||
		    strstr(why, good + 3) != NULL || strstr(why, "v1,") != NULL)
			fail_msg("%s: the reason names a secret or a signature: %s", c->what, why);
	}
}

/* The example of the Standard Webhooks specification and of Svix's libraries. */
static void
test_published_example(void **state)
{
	static const char *body = "{\"test\": 2432232314}";
	char why[256], item[64];

	assert_int_equal(signature_verify(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, strlen(body),
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", 1614265330, 300, why, sizeof(why)), SIGNATURE_OK);
	assert_int_equal(signature_sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, strlen(body),
	    item, sizeof(item)), 0);
	assert_string_equal(item, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/* The body is bytes of a length: a NUL inside is signed too; an empty body can be signed. */
static void
test_body_is_bytes(void **state)
{
	static const char body[] = "{\"a\":1}\0{\"b\":2}";
	char item[SIGNATURE_ITEM_SIZE], why[256];

	assert_int_equal(signature_sign(SECRET, ID, TS, body, sizeof(body) - 1, item, sizeof(item)), 0);
	assert_int_equal(signature_verify(SECRET, ID, TS, body, sizeof(body) - 1, item, T0, 300, why, sizeof(why)),
	    SIGNATURE_OK);
	assert_int_equal(signature_verify(SECRET, ID, TS, body, strlen(body), item, T0, 300, why, sizeof(why)),
	    SIGNATURE_MISMATCH);
	assert_int_equal(signature_sign(SECRET, ID, TS, "", 0, item, sizeof(item)), 0);
	assert_int_equal(signature_verify(SECRET, ID, TS, "", 0, item, T0, 300, why, sizeof(why)), SIGNATURE_OK);
}

static void
test_sign(void **state)
{
	char item[SIGNATURE_ITEM_SIZE], want[64];

	assert_int_equal(signature_sign(OTHER, ID, TS, BODY, strlen(BODY), item, sizeof(item)), 0);
	expected_item(OTHER, ID, TS, BODY, want);
	assert_string_equal(item, want);
	assert_int_equal(signature_sign(SECRET, ID, TS, BODY, strlen(BODY), item, 40), -1);
	assert_int_equal(signature_sign("not-a-secret", ID, TS, BODY, strlen(BODY), item, sizeof(item)), -1);
}

/* A small tolerance is honoured exactly, and why may be cut short or left out. */
static void
test_tolerance_and_why(void **state)
{
	char item[SIGNATURE_ITEM_SIZE], why[8];

	assert_int_equal(signature_sign(SECRET, ID, TS, BODY, strlen(BODY), item, sizeof(item)), 0);
	assert_int_equal(signature_verify(SECRET, ID, TS, BODY, strlen(BODY), item, T0 + 1, 1, NULL, 0), SIGNATURE_OK);
	assert_int_equal(signature_verify(SECRET, ID, TS, BODY, strlen(BODY), item, T0 + 2, 1, why, sizeof(why)),
	    SIGNATURE_STALE);
	assert_int_equal(strlen(why), sizeof(why) - 1);
	assert_int_equal(signature_verify(SECRET, ID, TS, BODY, strlen(BODY), item, T0 - 2, 1, NULL, 0),
	    SIGNATURE_STALE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_published_example),
		cmocka_unit_test(test_body_is_bytes),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_tolerance_and_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
