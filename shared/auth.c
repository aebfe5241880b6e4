/* auth.c: constant-time secret comparison. Both sides are hashed with SHA-256 first so neither the
 * content nor the length of the secret leaks through timing; a list of secrets (rotation) is compared
 * item by item to the end, so the time does not tell which item matched either. */
#include "shared/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>
#include <string.h>

static int
digest(const char *s, size_t len, unsigned char out[EVP_MAX_MD_SIZE])
{
	unsigned int n = 0;

	if (EVP_Digest(s, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	return 0;
}

bool
auth_secret_equal(const char *given, const char *expected)
{
	unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];

	if (given == NULL || expected == NULL || *expected == '\0')
		return false;
	if (digest(given, strlen(given), a) != 0 || digest(expected, strlen(expected), b) != 0)
		return false;
	return CRYPTO_memcmp(a, b, 32) == 0;
}

bool
auth_secret_listed(const char *given, const char *list)
{
	unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	unsigned matched = 0, failed = 0;
	const char *p;

	if (given == NULL || list == NULL || digest(given, strlen(given), a) != 0)
		return false;
	for (p = list; *p != '\0'; ) {
		size_t len = strcspn(p, ",");

		if (len > 0) { /* an empty item is no secret */
			if (digest(p, len, b) != 0)
				failed = 1;
			else
				matched |= (unsigned)(CRYPTO_memcmp(a, b, 32) == 0);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return matched != 0 && failed == 0;
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
	return auth_secret_listed(token, expected);
}
