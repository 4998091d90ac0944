/* "Did you mean": the nearest of a few known words to a mistyped one. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define SUGGEST_MAX 64

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent
 * transpositions, as git's), ignoring case; words over SUGGEST_MAX
 * characters are never near. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ne = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t v = d[i - 1][j - 1] + (size_t)ne;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *
mc_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, len = word != NULL ? strlen(word) : 0;
	/* One edit for short words, two from five characters, three from nine. */
	size_t limit = len < 5 ? 1 : len < 9 ? 2 : 3;

	if (len == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (cands[i] == NULL)
			continue;
		/* A prefix of a longer word ("--wid" for "--wide"). */
		d = strncasecmp(cands[i], word, len) == 0 ? 1 : distance(word, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return bestd <= limit ? best : NULL;
}
