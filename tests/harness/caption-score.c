/* caption-score.c: scores captions read from a video against the .srt it was made from.
 *   caption-score [--floors F1,CER,SECONDS] [--each F1,CER] [--verbose] NAME=REF.srt:READ.tsv ...
 * READ.tsv holds what tests/harness/read-captions prints: "START<TAB>END<TAB>TEXT" per caption (seconds).
 * The .srt's text loses its tags (<i>, {\an8}) and its line breaks become spaces.
 * Matching: a caption read and a caption drawn match when their times overlap by at least half of the
 * shorter one; pairs are taken greedily by overlap, each caption in at most one pair. Then precision =
 * matched / read, recall = matched / drawn, F1 their harmonic mean; CER = the edit distance (Unicode
 * characters) between the texts of matched pairs / the drawn texts' length, after collapsing spaces and
 * writing typographic quotes as ASCII ones; timing = |start error| and |end error| of matched pairs.
 * Prints one line per NAME and one for all of them together; with --each, exits 1 unless every NAME has
 * F1 >= F1 and CER <= CER; with --floors, exits 1 unless the total has
 * F1 >= F1, CER <= CER and every start and end within SECONDS. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CAPTIONS 2000
#define TEXT_MAX 1024

struct cap {
	double start, end;
	uint32_t text[TEXT_MAX];
	size_t len;
	int match;          /* index in the other list, -1 when none */
};

struct score {
	int drawn, read, matched;
	double edits, chars, start_sum, start_max, end_sum, end_max;
};

static struct cap drawn[MAX_CAPTIONS], got[MAX_CAPTIONS];

/* UTF-8 into code points, tags dropped, typographic quotes made ASCII, runs of space one space, trimmed. */
static size_t
normalise(const char *s, uint32_t *out, size_t max)
{
	size_t n = 0;
	bool space = false;

	while (*s != '\0' && n + 1 < max) {
		const unsigned char *u = (const unsigned char *)s;
		uint32_t c;
		int len = *u < 0x80 ? 1 : (*u & 0xe0) == 0xc0 ? 2 : (*u & 0xf0) == 0xe0 ? 3 : 4;

		if (*s == '<' && strchr(s, '>') != NULL) {          /* <i>, </i>, <b> ... */
			s = strchr(s, '>') + 1;
			continue;
		}
		if (*s == '{' && s[1] == '\\' && strchr(s, '}') != NULL) {  /* {\an8} */
			s = strchr(s, '}') + 1;
			continue;
		}
		c = len == 1 ? *u : len == 2 ? (uint32_t)(*u & 0x1f) : len == 3 ? (uint32_t)(*u & 0x0f) : (uint32_t)(*u & 0x07);
		for (int k = 1; k < len; k++)
			c = (c << 6) | (uint32_t)(u[k] & 0x3f);
		for (int k = 0; k < len && *s != '\0'; k++)
			s++;
		if (c == 0x2018 || c == 0x2019)
			c = '\'';
		if (c == 0x201c || c == 0x201d)
			c = '"';
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = n > 0;
			continue;
		}
		if (space)
			out[n++] = ' ';
		space = false;
		out[n++] = c;
	}
	return n;
}

static double
srt_time(const char *s, bool *ok)
{
	int h, m, sec, ms;

	*ok = sscanf(s, "%d:%d:%d,%d", &h, &m, &sec, &ms) == 4;
	return h * 3600.0 + m * 60.0 + sec + ms / 1000.0;
}

/* Reads an .srt file; -1 on a malformed one. */
static int
read_srt(const char *path, struct cap *caps, int *n)
{
	FILE *f = fopen(path, "r");
	char line[TEXT_MAX], text[TEXT_MAX * 2];
	enum { NUMBER, TIMES, TEXT } want = NUMBER;

	*n = 0;
	if (f == NULL)
		return -1;
	text[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		char *arrow;
		bool ok1, ok2;

		line[strcspn(line, "\r\n")] = '\0';
		if (want == NUMBER && line[0] != '\0')
			want = TIMES;
		else if (want == TIMES) {
			if ((arrow = strstr(line, "-->")) == NULL || *n == MAX_CAPTIONS)
				goto bad;
			caps[*n].start = srt_time(line, &ok1);
			caps[*n].end = srt_time(arrow + 3 + strspn(arrow + 3, " "), &ok2);
			if (!ok1 || !ok2)
				goto bad;
			text[0] = '\0';
			want = TEXT;
		} else if (want == TEXT && line[0] != '\0') {
			(void)snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", text[0] ? " " : "", line);
		} else if (want == TEXT) {
			caps[*n].len = normalise(text, caps[*n].text, TEXT_MAX);
			(*n)++;
			want = NUMBER;
		}
	}
	if (want == TEXT) {
		caps[*n].len = normalise(text, caps[*n].text, TEXT_MAX);
		(*n)++;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	return -1;
}

static int
read_tsv(const char *path, struct cap *caps, int *n)
{
	FILE *f = fopen(path, "r");
	char line[TEXT_MAX * 2];

	*n = 0;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL && *n < MAX_CAPTIONS) {
		char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;

		if (tab2 == NULL)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		caps[*n].start = atof(line);
		caps[*n].end = atof(tab1 + 1);
		caps[*n].len = normalise(tab2 + 1, caps[*n].text, TEXT_MAX);
		(*n)++;
	}
	fclose(f);
	return 0;
}

static size_t
distance(const uint32_t *a, size_t la, const uint32_t *b, size_t lb)
{
	static size_t row[TEXT_MAX + 1];

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
	return row[lb];
}

static double
overlap(const struct cap *a, const struct cap *b)
{
	double s = a->start > b->start ? a->start : b->start, e = a->end < b->end ? a->end : b->end;
	double shorter = a->end - a->start < b->end - b->start ? a->end - a->start : b->end - b->start;

	return e > s && shorter > 0 ? (e - s) / shorter : 0;
}

/* Greedy one-to-one matching by overlap (at least half the shorter caption). */
static void
match(int nd, int ng)
{
	for (int i = 0; i < nd; i++)
		drawn[i].match = -1;
	for (int j = 0; j < ng; j++)
		got[j].match = -1;
	for (;;) {
		double best = 0.5;
		int bi = -1, bj = -1;

		for (int i = 0; i < nd; i++)
			for (int j = 0; drawn[i].match < 0 && j < ng; j++)
				if (got[j].match < 0 && overlap(&drawn[i], &got[j]) >= best) {
					best = overlap(&drawn[i], &got[j]);
					bi = i;
					bj = j;
				}
		if (bi < 0)
			return;
		drawn[bi].match = bj;
		got[bj].match = bi;
	}
}

static void
print_text(const char *label, const struct cap *c)
{
	printf("    %s %7.3f-%7.3f \"", label, c->start, c->end);
	for (size_t k = 0; k < c->len; k++) {
		uint32_t u = c->text[k];

		if (u < 0x80)
			putchar((int)u);
		else if (u < 0x800)
			printf("%c%c", 0xc0 | (int)(u >> 6), 0x80 | (int)(u & 0x3f));
		else
			printf("%c%c%c", 0xe0 | (int)(u >> 12), 0x80 | (int)((u >> 6) & 0x3f), 0x80 | (int)(u & 0x3f));
	}
	printf("\"\n");
}

static void
add_pairs(struct score *s, int nd, int ng, bool verbose)
{
	s->drawn += nd;
	s->read += ng;
	for (int i = 0; i < nd; i++) {
		const struct cap *d = &drawn[i], *g;
		double es, ee;
		size_t dist;

		if (d->match < 0) {
			if (verbose)
				print_text("missed", d);
			continue;
		}
		g = &got[d->match];
		dist = distance(d->text, d->len, g->text, g->len);
		es = g->start > d->start ? g->start - d->start : d->start - g->start;
		ee = g->end > d->end ? g->end - d->end : d->end - g->end;
		s->matched++;
		s->edits += (double)dist;
		s->chars += (double)d->len;
		s->start_sum += es;
		s->end_sum += ee;
		s->start_max = es > s->start_max ? es : s->start_max;
		s->end_max = ee > s->end_max ? ee : s->end_max;
		if (verbose && dist > 0) {
			print_text("drawn", d);
			print_text("read ", g);
		}
	}
	for (int j = 0; verbose && j < ng; j++)
		if (got[j].match < 0)
			print_text("extra", &got[j]);
}

static double
f1_of(const struct score *s)
{
	double p = s->read ? (double)s->matched / s->read : 0, r = s->drawn ? (double)s->matched / s->drawn : 0;

	return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

static void
print_score(const char *name, const struct score *s)
{
	printf("%-22s drawn %3d read %3d matched %3d  P %.3f R %.3f F1 %.3f  CER %.4f  start err mean %.3f max %.3f"
	    "  end err mean %.3f max %.3f s\n", name, s->drawn, s->read, s->matched,
	    s->read ? (double)s->matched / s->read : 0, s->drawn ? (double)s->matched / s->drawn : 0, f1_of(s),
	    s->chars > 0 ? s->edits / s->chars : 0, s->matched ? s->start_sum / s->matched : 0, s->start_max,
	    s->matched ? s->end_sum / s->matched : 0, s->end_max);
}

/* Whether s has F1 >= min_f1, CER <= max_cer and every start and end within max_err seconds. */
static bool
meets(const struct score *s, double min_f1, double max_cer, double max_err)
{
	return f1_of(s) >= min_f1 && (s->chars > 0 ? s->edits / s->chars : 1) <= max_cer && s->start_max <= max_err &&
	    s->end_max <= max_err;
}

int
main(int argc, char **argv)
{
	struct score total = { 0 };
	double min_f1 = -1, max_cer = 2, max_err = 1e9, each_f1 = -1, each_cer = 2;
	bool verbose = false, floors = false, below = false;
	int i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--verbose") == 0)
			verbose = true;
		else if (strcmp(argv[i], "--floors") == 0 && i + 1 < argc &&
		    sscanf(argv[i + 1], "%lf,%lf,%lf", &min_f1, &max_cer, &max_err) == 3) {
			floors = true;
			i++;
		} else if (strcmp(argv[i], "--each") == 0 && i + 1 < argc &&
		    sscanf(argv[i + 1], "%lf,%lf", &each_f1, &each_cer) == 2)
			i++;
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: caption-score [--floors F1,CER,SECONDS] [--each F1,CER] [--verbose] "
		    "NAME=REF.srt:READ.tsv ...\n");
		return 2;
	}
	for (; i < argc; i++) {
		char name[256], ref[4096], tsv[4096];
		struct score s = { 0 };
		int nd, ng;

		if (sscanf(argv[i], "%255[^=]=%4095[^:]:%4095s", name, ref, tsv) != 3) {
			fprintf(stderr, "caption-score: expected NAME=REF.srt:READ.tsv, not %s\n", argv[i]);
			return 2;
		}
		if (read_srt(ref, drawn, &nd) != 0 || read_tsv(tsv, got, &ng) != 0) {
			fprintf(stderr, "caption-score: cannot read %s or %s\n", ref, tsv);
			return 2;
		}
		match(nd, ng);
		add_pairs(&s, nd, ng, verbose);
		print_score(name, &s);
		if (!meets(&s, each_f1, each_cer, 1e9)) {
			printf("%s is below F1 >= %.3f, CER <= %.4f\n", name, each_f1, each_cer);
			below = true;
		}
		total.drawn += s.drawn;
		total.read += s.read;
		total.matched += s.matched;
		total.edits += s.edits;
		total.chars += s.chars;
		total.start_sum += s.start_sum;
		total.end_sum += s.end_sum;
		total.start_max = s.start_max > total.start_max ? s.start_max : total.start_max;
		total.end_max = s.end_max > total.end_max ? s.end_max : total.end_max;
	}
	print_score("all", &total);
	if (floors && !meets(&total, min_f1, max_cer, max_err)) {
		printf("below the floors: F1 >= %.3f, CER <= %.4f, start and end within %.3f s\n", min_f1, max_cer, max_err);
		return 1;
	}
	return below ? 1 : 0;
}
