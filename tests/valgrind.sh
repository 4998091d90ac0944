#!/bin/sh
# MINICA_BIN for `make check-valgrind`: runs the real minica
# ($MINICA_VALGRIND_BIN) under valgrind memcheck.  Reports go to one file
# per process in $MINICA_VALGRIND_LOGS, not to stderr, so the tests' one-
# line error checks still hold; an error or a definite leak exits 99,
# which no test expects, and leaves a non-empty log the Makefile reports.
# (Add --track-origins=yes when chasing an uninitialised value: it
# doubles the run time.)
: "${MINICA_VALGRIND_BIN:?set MINICA_VALGRIND_BIN to the built minica}"
: "${MINICA_VALGRIND_LOGS:?set MINICA_VALGRIND_LOGS to a folder for reports}"
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --num-callers=30 \
    --log-file="$MINICA_VALGRIND_LOGS/vg.%p.log" "$MINICA_VALGRIND_BIN" "$@"
