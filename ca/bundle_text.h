/*
 * The trust kit's scripts and README, embedded by ca/bundle/embed.sh.
 * Private to ca/bundle.c: not part of the ca/ interface.
 */
#ifndef MINICA_BUNDLE_TEXT_H
#define MINICA_BUNDLE_TEXT_H

#include <stddef.h>
#include <sys/types.h>

struct bundle_text {
	const char *file;	/* name inside the kit */
	mode_t mode;
	const char *text;	/* with @NAME@, @FPR@, ... placeholders */
};

/* Ends with an entry whose file is NULL. */
extern const struct bundle_text bundle_texts[];

#endif
