/* auth.c: constant-time secret comparison. Both sides are hashed with SHA-256 first so neither the
 * content nor the length of the secret leaks through timing. */
#include "shared/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>
#include <string.h>

static int
digest(const char *s, unsigned char out[EVP_MAX_MD_SIZE])
{
	unsigned int len = 0;

	if (EVP_Digest(s, strlen(s), out, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return -1;
	return 0;
}

bool
auth_secret_equal(const char *given, const char *expected)
{
	unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];

	if (given == NULL || expected == NULL || *expected == '\0')
		return false;
	if (digest(given, a) != 0 || digest(expected, b) != 0)
		return false;
	return CRYPTO_memcmp(a, b, 32) == 0;
}

bool
auth_bearer_ok(const char *header, const char *expected)
{
	const char *token;

	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return false;
	token = header + 7;
	while (*token == ' ')
		token++;
	if (*token == '\0')
		return false;
	return auth_secret_equal(token, expected);
}
