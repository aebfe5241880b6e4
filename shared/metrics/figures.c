/* figures.c: the figures the runner notes during a step (see figures.h). */
#include "shared/metrics/figures.h"

#include "shared/json.h"

void
figures_note(json_object **list, const char *metric, const char *l1, const char *l2, const char *l3,
    double seconds)
{
	json_object *e;

	if (*list == NULL && (*list = json_object_new_array()) == NULL)
		return;
	if ((e = json_object_new_array_ext(5)) == NULL)
		return;
	json_object_array_add(e, json_object_new_string(metric));
	json_object_array_add(e, json_object_new_string(l1 ? l1 : ""));
	json_object_array_add(e, json_object_new_string(l2 ? l2 : ""));
	json_object_array_add(e, json_object_new_string(l3 ? l3 : ""));
	json_object_array_add(e, seconds < 0 ? NULL : json_object_new_double(seconds));
	if (json_object_array_add(*list, e) != 0)
		json_object_put(e);
}

const char *
figures_param(json_object *list)
{
	return list != NULL && json_object_array_length(list) > 0 ? json_text(list, NULL) : NULL;
}

void
figures_clear(json_object **list)
{
	json_object_put(*list);
	*list = NULL;
}
