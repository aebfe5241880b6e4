/* tenant.c: tier lookup. The mapping is data (TIER_MAP), so a new access tier needs no rebuild. */
#include "shared/intake/tenant.h"

#include "shared/clock.h"
#include "shared/str.h"
#include "shared/validate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TENANT_CACHE_SLOTS 256

struct tenant_cache {
	long ttl;
	struct {
		char tenant_id[VALIDATE_ID_MAX + 1];
		enum priority_tier tier;
		long long expires;
	} slot[TENANT_CACHE_SLOTS];
};

int
tenant_map_parse(const char *spec, struct tenant_map *out, char *err, size_t errlen)
{
	const char *p = spec;

	memset(out, 0, sizeof(*out));
	while (*p != '\0') {
		const char *comma = strchr(p, ','), *colon;
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[TENANT_ACCESS_MAX + 16], tier[16];
		size_t alen;

		if (len == 0 || len >= sizeof(item)) {
			(void)str_fmt(err, errlen, "TIER_MAP: entry %d is empty or too long", out->n + 1);
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		colon = strchr(item, ':');
		if (colon == NULL || colon == item || out->n >= TENANT_MAP_MAX) {
			(void)str_fmt(err, errlen, "TIER_MAP: \"%s\" is not access_tier_id:tier (at most %d entries)",
			    item, TENANT_MAP_MAX);
			return -1;
		}
		alen = (size_t)(colon - item);
		if (alen >= TENANT_ACCESS_MAX || str_copy(tier, sizeof(tier), colon + 1) != 0 ||
		    priority_tier_parse(tier, &out->e[out->n].tier) != 0) {
			(void)str_fmt(err, errlen, "TIER_MAP: \"%s\" must map to free, premium or enterprise", item);
			return -1;
		}
		memcpy(out->e[out->n].access_tier_id, item, alen);
		out->e[out->n].access_tier_id[alen] = '\0';
		out->n++;
		p += len;
		if (*p == ',' && *++p == '\0') {
			(void)str_fmt(err, errlen, "TIER_MAP: entry %d is empty", out->n + 1);
			return -1;
		}
	}
	return 0;
}

enum priority_tier
tenant_map_tier(const struct tenant_map *map, const char *access_tier_id)
{
	for (int i = 0; i < map->n; i++)
		if (strcmp(map->e[i].access_tier_id, access_tier_id) == 0)
			return map->e[i].tier;
	return PRIORITY_TIER_FREE;
}

static const struct db_stmt tier_stmt = {
	"tenant_tier",
	"SELECT DISTINCT access_tier_id FROM user_profiles WHERE tenant_id = $1 AND access_tier_id IS NOT NULL",
	1, true
};

struct tenant_cache *
tenant_cache_new(long ttl_seconds)
{
	struct tenant_cache *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->ttl = ttl_seconds;
	return c;
}

void
tenant_cache_free(struct tenant_cache *cache)
{
	free(cache);
}

/* FNV-1a: direct-mapped slots; a collision just evicts the older tenant. */
static unsigned
slot_of(const char *tenant_id)
{
	unsigned h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)tenant_id; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h % TENANT_CACHE_SLOTS;
}

int
tenant_cache_lookup(struct tenant_cache *cache, const char *tenant_id, long long now, enum priority_tier *out)
{
	unsigned i;

	if (cache == NULL || cache->ttl <= 0)
		return -1;
	i = slot_of(tenant_id);
	if (now >= cache->slot[i].expires || strcmp(cache->slot[i].tenant_id, tenant_id) != 0)
		return -1;
	*out = cache->slot[i].tier;
	return 0;
}

void
tenant_cache_store(struct tenant_cache *cache, const char *tenant_id, enum priority_tier tier, long long now)
{
	unsigned i;

	if (cache == NULL || cache->ttl <= 0)
		return;
	i = slot_of(tenant_id);
	if (str_copy(cache->slot[i].tenant_id, sizeof(cache->slot[i].tenant_id), tenant_id) != 0) {
		cache->slot[i].expires = 0; /* ids are validated to fit; never keep a cut one */
		return;
	}
	cache->slot[i].tier = tier;
	cache->slot[i].expires = now + cache->ttl;
}

enum db_status
tenant_tier(struct db *db, const struct tenant_map *map, struct tenant_cache *cache, const char *tenant_id,
    enum priority_tier *out, char *err, size_t errlen)
{
	const char *params[1] = { tenant_id };
	long long now = clock_ms() / 1000;
	enum db_status st;
	PGresult *r;

	if (tenant_cache_lookup(cache, tenant_id, now, out) == 0)
		return DB_OK;
	if ((r = db_exec(db, &tier_stmt, params, &st, err, errlen)) == NULL)
		return st;
	*out = PRIORITY_TIER_FREE;
	for (int i = 0; i < PQntuples(r); i++) {
		enum priority_tier t = tenant_map_tier(map, PQgetvalue(r, i, 0));

		if (t > *out)
			*out = t;
	}
	PQclear(r);
	tenant_cache_store(cache, tenant_id, *out, now);
	return DB_OK;
}

static const struct db_stmt user_tenant_stmt = {
	"tenant_of_user", "SELECT tenant_id FROM user_profiles WHERE id = $1", 1, true
};

enum db_status
tenant_of_user(struct db *db, const char *user_id, char *tenant, size_t len, bool *found, char *err, size_t errlen)
{
	const char *params[1] = { user_id };
	enum db_status st;
	PGresult *r;

	*found = false;
	tenant[0] = '\0';
	if ((r = db_exec(db, &user_tenant_stmt, params, &st, err, errlen)) == NULL)
		return st;
	/* The profile's tenant is input too: one that is not a valid id is no tenant. */
	if (PQntuples(r) == 1 && validate_id(PQgetvalue(r, 0, 0)) && str_copy(tenant, len, PQgetvalue(r, 0, 0)) == 0)
		*found = true;
	PQclear(r);
	return DB_OK;
}
