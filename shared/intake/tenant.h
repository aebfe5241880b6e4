/* tenant.h: a tenant's tier from its users' access_tier_id (user_profiles), through a configurable map. */
#ifndef CAPTIONACC_TENANT_H
#define CAPTIONACC_TENANT_H

#include "shared/db.h"
#include "shared/intake/priority.h"

#define TENANT_MAP_MAX 16
#define TENANT_ACCESS_MAX 64

struct tenant_map {
	int n;
	struct {
		char access_tier_id[TENANT_ACCESS_MAX];
		enum priority_tier tier;
	} e[TENANT_MAP_MAX];
};

/* Parses "demo:free,active:premium,enterprise:enterprise". Returns 0, or -1 with a reason in err. */
int tenant_map_parse(const char *spec, struct tenant_map *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* The tier an access_tier_id maps to; unknown ids are free. */
enum priority_tier tenant_map_tier(const struct tenant_map *map, const char *access_tier_id);
/* A per-process memory of recent answers, so a burst of webhooks for one tenant costs one lookup.
 * A tier change is seen after at most ttl seconds. */
struct tenant_cache;
/* ttl 0 disables the cache (tenant_cache_new still returns one that never hits). NULL on no memory. */
struct tenant_cache *tenant_cache_new(long ttl_seconds);
void tenant_cache_free(struct tenant_cache *cache);
/* now is any monotonic clock in seconds. Returns 0 and the tier on a fresh hit, -1 otherwise. */
int tenant_cache_lookup(struct tenant_cache *cache, const char *tenant_id, long long now, enum priority_tier *out);
void tenant_cache_store(struct tenant_cache *cache, const char *tenant_id, enum priority_tier tier, long long now);

/* The tenant's tier: the highest tier among its users; a tenant without users is free. cache may be NULL. */
enum db_status tenant_tier(struct db *db, const struct tenant_map *map, struct tenant_cache *cache,
    const char *tenant_id, enum priority_tier *out, char *err, size_t errlen);

/* The tenant of a signed-in user (user_profiles by id). *found false: the user has no profile (or its
 * tenant is not a valid id). */
enum db_status tenant_of_user(struct db *db, const char *user_id, char *tenant, size_t len, bool *found, char *err,
    size_t errlen);

#endif
