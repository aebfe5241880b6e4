/* video_view.h: a video as its owner (or an operator) reads it: the videos row, within a tenant. */
#ifndef CAPTIONACC_VIDEO_VIEW_H
#define CAPTIONACC_VIDEO_VIEW_H

#include "shared/db.h"

#include <json-c/json.h>

/* The video's row as a JSON object (*row NULL when there is none: a video of another tenant is none).
 * tenant_id NULL: any tenant's (the operator's `show`). Caller frees *row. */
enum db_status video_view_get(struct db *db, const char *video_id, const char *tenant_id, json_object **row,
    char *err, size_t errlen);

#endif
