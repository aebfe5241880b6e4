/* tenant.c: tier lookup. The mapping is data (TIER_MAP), so a new access tier needs no rebuild. */
#include "shared/tenant.h"

#include "shared/str.h"

#include <string.h>

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

enum db_status
tenant_tier(struct db *db, const struct tenant_map *map, const char *tenant_id, enum priority_tier *out,
    char *err, size_t errlen)
{
	const char *params[1] = { tenant_id };
	enum db_status st;
	PGresult *r = db_exec(db, &tier_stmt, params, &st, err, errlen);

	if (r == NULL)
		return st;
	*out = PRIORITY_TIER_FREE;
	for (int i = 0; i < PQntuples(r); i++) {
		enum priority_tier t = tenant_map_tier(map, PQgetvalue(r, i, 0));

		if (t > *out)
			*out = t;
	}
	PQclear(r);
	return DB_OK;
}
