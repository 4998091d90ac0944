#!/bin/sh
# The size rules (docs: common rules, issue 12 item 4): every cmd/*.c at
# most 300 lines, no .c/.h over 820, no function over 120 lines (the
# linear step/check/goto-out allowance); functions over 60 are listed,
# to be split or to be such a linear sequence.  BSD-style definitions:
# the name at column 0, '{' and '}' alone at column 0.  Exit 1 on a breach.
cd "$(dirname "$0")/.." || exit 1
rc=0
for f in cmd/*.c; do
	n=$(wc -l <"$f")
	[ "$n" -le 300 ] || { echo "sizes: $f has $n lines (cmd/ files: at most 300)"; rc=1; }
done
for f in $(git ls-files '*.c' '*.h' | grep -v '^tests/'); do
	n=$(wc -l <"$f")
	[ "$n" -le 820 ] || { echo "sizes: $f has $n lines (at most ~800)"; rc=1; }
done
long=$(for f in $(git ls-files '*.c' | grep -v '^tests/'); do
	awk -v f="$f" '
	/^[a-zA-Z_][a-zA-Z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
	/^\{/ { start = NR; inf = 1; next }
	/^\}/ && inf { n = NR - start - 1; if (n > 60) printf "%d %s:%d %s\n", n, f, start, name; inf = 0 }
	' "$f"
done | sort -rn)
[ -z "$long" ] || echo "$long" | sed 's/^/sizes: over 60 lines: /'
if echo "$long" | awk '$1 > 120 { bad = 1 } END { exit !bad }'; then
	echo "sizes: a function is over 120 lines"
	rc=1
fi
exit $rc
