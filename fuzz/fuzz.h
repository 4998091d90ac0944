/*
 * Shared by the libFuzzer targets in fuzz/ and by fuzz/replay.c, which
 * links the same targets without libFuzzer so `make test` replays the
 * seed corpora and every past crash (fuzz/regressions/) with gcc too.
 */
#ifndef MINICA_FUZZ_H
#define MINICA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (the target frees it). */
char *fuzz_cstr(const uint8_t *data, size_t size);

#endif
