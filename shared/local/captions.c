/* captions.c: caption extents from per-frame OCR readings (see captions.h for the rule). */
#include "shared/local/captions.h"

#include "shared/str.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void
captions_normalise(const char *in, char *out, size_t len)
{
	size_t o = 0;
	bool space = false;

	if (len == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 2 < len; p++) {
		if (isalnum(*p) || *p >= 0x80) {
			if (space && o > 0)
				out[o++] = ' ';
			out[o++] = (char)toupper(*p);
			space = false;
		} else
			space = true;
	}
	out[o] = '\0';
}

double
captions_similarity(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *row;
	double sim;

	if (la == 0 && lb == 0)
		return 1;
	if (la == 0 || lb == 0)
		return 0;
	if ((row = malloc((lb + 1) * sizeof(*row))) == NULL)
		return strcmp(a, b) == 0;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	sim = 1.0 - (double)row[lb] / (double)(la > lb ? la : lb);
	free(row);
	return sim;
}

/* At least two letters or digits: OCR noise on an empty band is often one stray mark. */
static bool
meaningful(const char *norm)
{
	int n = 0;

	for (const char *p = norm; *p != '\0'; p++)
		if (*p != ' ')
			n++;
	return n >= 2;
}

int
captions_segment(const struct captions_frame *frames, int n, struct captions_extent **out, int *count)
{
	struct captions_extent *ext = NULL, *cur = NULL;
	char last[CAPTIONS_TEXT_MAX] = "", norm[CAPTIONS_TEXT_MAX];
	float best_conf = 0;
	int gap = 0;

	*out = NULL;
	*count = 0;
	if (n > 0 && (ext = calloc((size_t)n, sizeof(*ext))) == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		captions_normalise(frames[i].text ? frames[i].text : "", norm, sizeof(norm));
		if (!meaningful(norm)) {
			if (cur != NULL && ++gap > CAPTIONS_GAP_FRAMES)
				cur = NULL;
			continue;
		}
		if (cur != NULL && captions_similarity(norm, last) >= CAPTIONS_SIMILAR) {
			cur->end = i;
			gap = 0;
		} else {
			cur = &ext[(*count)++];
			cur->start = cur->end = cur->best = i;
			best_conf = -1;
			gap = 0;
		}
		(void)str_fmt(last, sizeof(last), "%s", norm);
		if (frames[i].confidence > best_conf) {
			best_conf = frames[i].confidence;
			cur->best = i;
			(void)str_fmt(cur->text, sizeof(cur->text), "%s", frames[i].text);
		}
	}
	*out = ext;
	return 0;
}
