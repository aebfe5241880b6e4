/* priority.c: the seed's priority rules as pure functions (tests/unit/test_priority.c is their spec). */
#include "shared/intake/priority.h"

#include "shared/config.h"
#include "shared/str.h"

#include <string.h>

static const char *tier_names[PRIORITY_TIER__MAX] = { "free", "premium", "enterprise" };

void
priority_defaults(struct priority_params *p)
{
	p->base[PRIORITY_TIER_FREE] = 50;
	p->base[PRIORITY_TIER_PREMIUM] = 70;
	p->base[PRIORITY_TIER_ENTERPRISE] = 90;
	p->override = -1;
	p->age_boost = true;
	p->per_minutes = 60;
	p->cap = 20;
}

void
priority_from_config(struct priority_params *p, const struct config *cfg)
{
	/* config.c bounds every one of these to a few thousand at most, so the casts are exact. */
	p->base[PRIORITY_TIER_FREE] = (int)cfg->priority_free;
	p->base[PRIORITY_TIER_PREMIUM] = (int)cfg->priority_premium;
	p->base[PRIORITY_TIER_ENTERPRISE] = (int)cfg->priority_enterprise;
	p->override = (int)cfg->priority_override;
	p->age_boost = cfg->age_boost_enabled;
	p->per_minutes = (int)cfg->age_boost_per_minutes;
	p->cap = (int)cfg->age_boost_cap;
}

int
priority_base(const struct priority_params *p, enum priority_tier tier)
{
	if (p->override >= 0)
		return p->override;
	if (tier < 0 || tier >= PRIORITY_TIER__MAX)
		tier = PRIORITY_TIER_FREE;
	return p->base[tier];
}

int
priority_compute(const struct priority_params *p, enum priority_tier tier, bool has_time, time_t request_time,
    time_t now)
{
	int base = priority_base(p, tier);
	long long minutes, boost;

	if (!p->age_boost || !has_time || request_time >= now || p->per_minutes < 1)
		return base;
	minutes = ((long long)now - (long long)request_time) / 60;
	boost = minutes / p->per_minutes;
	if (boost > p->cap)
		boost = p->cap;
	return base + (int)boost;
}

const char *
priority_tier_name(enum priority_tier tier)
{
	if (tier < 0 || tier >= PRIORITY_TIER__MAX)
		return "free";
	return tier_names[tier];
}

int
priority_tier_parse(const char *s, enum priority_tier *out)
{
	for (int i = 0; i < PRIORITY_TIER__MAX; i++) {
		if (strcmp(s, tier_names[i]) == 0) {
			*out = (enum priority_tier)i;
			return 0;
		}
	}
	return -1;
}

#define PRIORITY_TAG "priority:"

int
priority_tags(char tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX], const char *tenant_id, enum priority_tier tier,
    int priority, bool age_boost)
{
	if (str_fmt(tags[0], PRIORITY_TAG_MAX, "tenant:%s", tenant_id) != 0 ||
	    str_fmt(tags[1], PRIORITY_TAG_MAX, "tier:%s", priority_tier_name(tier)) != 0 ||
	    str_fmt(tags[2], PRIORITY_TAG_MAX, PRIORITY_TAG "%d", priority) != 0 ||
	    str_fmt(tags[3], PRIORITY_TAG_MAX, "age-boosting:%s", age_boost ? "enabled" : "disabled") != 0)
		return -1;
	return 0;
}

json_object *
priority_tags_json(const char tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX])
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < PRIORITY_NTAGS; i++)
		json_object_array_add(a, json_object_new_string(tags[i]));
	return a;
}

int
priority_of_tags(json_object *tags)
{
	size_t n = json_object_is_type(tags, json_type_array) ? json_object_array_length(tags) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(tags, i));
		long v;

		if (t != NULL && strncmp(t, PRIORITY_TAG, sizeof(PRIORITY_TAG) - 1) == 0 &&
		    str_to_long(t + sizeof(PRIORITY_TAG) - 1, 0, 1000, &v) == 0)
			return (int)v;
	}
	return 0;
}
