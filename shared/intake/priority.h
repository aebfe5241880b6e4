/* priority.h: a job's priority from its tenant's tier and its age (SPEC §6), and the tags that go with it. */
#ifndef CAPTIONACC_PRIORITY_H
#define CAPTIONACC_PRIORITY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

struct config;

enum priority_tier {
	PRIORITY_TIER_FREE,
	PRIORITY_TIER_PREMIUM,
	PRIORITY_TIER_ENTERPRISE,
	PRIORITY_TIER__MAX
};

struct priority_params {
	int base[PRIORITY_TIER__MAX];
	int override;         /* replaces the tier's base when >= 0 */
	bool age_boost;
	int per_minutes;      /* +1 per this many minutes of age (>= 1) */
	int cap;              /* largest boost */
};

#define PRIORITY_NTAGS 4
#define PRIORITY_TAG_MAX 160

/* The seed's defaults: 50/70/90, boost on, +1 per 60 min, cap 20. */
void priority_defaults(struct priority_params *p);
void priority_from_config(struct priority_params *p, const struct config *cfg);
/* base (or override) + min(floor(age_minutes / per_minutes), cap); no boost when disabled, when the
 * request has no time (has_time false) or when the time is in the future. */
int priority_compute(const struct priority_params *p, enum priority_tier tier, bool has_time,
    time_t request_time, time_t now);
/* The base a job was given before any age boost (what the runner keeps ageing from). */
int priority_base(const struct priority_params *p, enum priority_tier tier);
const char *priority_tier_name(enum priority_tier tier);
/* "free", "premium" or "enterprise"; returns -1 otherwise. */
int priority_tier_parse(const char *s, enum priority_tier *out);
/* tenant:<id>, tier:<tier>, priority:<n>, age-boosting:enabled|disabled; -1 if a tag does not fit. */
int priority_tags(char tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX], const char *tenant_id, enum priority_tier tier,
    int priority, bool age_boost) __attribute__((warn_unused_result));
/* The tags as a JSON array of strings, as stored in job metadata and sent to Prefect. Caller frees. */
json_object *priority_tags_json(const char tags[PRIORITY_NTAGS][PRIORITY_TAG_MAX]);
/* The N of the first "priority:N" tag (0-1000) of a tags array (a Prefect run's); 0 when there is none. */
int priority_of_tags(json_object *tags);

#endif
