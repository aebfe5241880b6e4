/* routes.h: the route table and dispatch of captionacc-fcgi (routes.c). */
#ifndef CAPTIONACC_ROUTES_H
#define CAPTIONACC_ROUTES_H

#include "fcgi/handlers.h"

/* Answers req: finds its route, authenticates it, reads its body, runs its handler. allow is scratch
 * space for a 405's Allow header (resp points into it). */
void routes_dispatch(struct app *app, struct request *req, struct response *resp, char *allow, size_t allowlen);
/* Whether path matches pattern ("{}" segments match one valid id, copied into params[0..*n)). 0 or -1. */
int routes_match(const char *pattern, const char *path, char params[][VALIDATE_ID_MAX + 1], int max, int *n);

#endif
