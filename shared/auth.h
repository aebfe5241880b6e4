/* auth.h: shared-secret checks for callers that are not users (Supabase webhook bearer, X-Cron-Secret). */
#ifndef CAPTIONACC_AUTH_H
#define CAPTIONACC_AUTH_H

#include <stdbool.h>

/* True when two secrets are equal; takes the same time whatever they hold or how long they are. */
bool auth_secret_equal(const char *given, const char *expected);
/* True when header is "Bearer <secret>" (scheme case-insensitive) with exactly the expected secret.
 * A NULL, empty or malformed header, or an unset expected secret, is never accepted. */
bool auth_bearer_ok(const char *header, const char *expected);

#endif
