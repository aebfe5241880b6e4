/* fuzz_token.c: the user-token verifier (HS256 with SUPABASE_JWT_SECRET, and the JWKS key set reader) on
 * any text: refused with a reason, never a crash, a leak or an accepted forgery. */
#include "tests/fuzz/fuzz.h"

#include "shared/config.h"
#include "shared/jwks.h"
#include "shared/token.h"

#include <time.h>

static struct token_verifier *verifier;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg = { .supabase_jwt_secret = "fuzz-secret-that-no-input-knows-0123456789",
		.supabase_jwt_audience = "authenticated", .jwt_leeway_seconds = 30 };
	struct token_claims claims;
	char *s = fuzz_cstr(data, size), why[256];
	struct jwks *set;

	if (verifier == NULL && (verifier = token_verifier_new(&cfg, why, sizeof(why))) == NULL)
		abort();
	/* An input cannot carry a valid HMAC of a secret it does not know. */
	if (token_verify(verifier, s, (time_t)1700000000, &claims, why, sizeof(why)) == 0)
		abort();
	if ((set = jwks_parse((const char *)data, size, why, sizeof(why))) != NULL)
		jwks_free(set);
	free(s);
	return 0;
}
