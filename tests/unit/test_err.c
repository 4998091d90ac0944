/* util/err.c and mc_catf: messages too long for their buffer are cut and
 * stay terminated, never overrun; mc_preferr keeps the old message. */
#include <criterion/criterion.h>
#include <string.h>

#include "util/util.h"

Test(catf, appends_and_reports_room)
{
	char b[8] = "ab";

	cr_assert_eq(mc_catf(b, sizeof(b), "%s", "cd"), 0);
	cr_assert_str_eq(b, "abcd");
	cr_assert_eq(mc_catf(b, sizeof(b), "%d", 123), 0);
	cr_assert_str_eq(b, "abcd123");
	cr_assert_eq(mc_catf(b, sizeof(b), "x"), -1, "a full buffer must say so");
	cr_assert_str_eq(b, "abcd123");
}

Test(catf, cuts_and_terminates)
{
	char b[6] = "abc";

	cr_assert_eq(mc_catf(b, sizeof(b), "%s", "defgh"), -1);
	cr_assert_str_eq(b, "abcde");
}

Test(catf, unterminated_buffer_is_terminated)
{
	char b[4];

	memset(b, 'x', sizeof(b));
	cr_assert_eq(mc_catf(b, sizeof(b), "y"), -1);
	cr_assert_eq(b[3], '\0');
}

Test(err, preferr_prefixes_the_old_message)
{
	mc_seterr("Permission denied");
	mc_preferr("cannot write '%s'", "/x");
	cr_assert_str_eq(mc_err(), "cannot write '/x': Permission denied");
}

Test(err, preferr_cuts_a_long_message)
{
	char longs[MC_ERR_MAX * 2];

	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	mc_seterr("%s", "old");
	mc_preferr("%s", longs);
	cr_assert_eq(strlen(mc_err()), MC_ERR_MAX - 1);
	mc_seterr("%s", longs);
	mc_preferr("new");
	cr_assert_eq(strlen(mc_err()), MC_ERR_MAX - 1);
	cr_assert_eq(strncmp(mc_err(), "new: aaa", 8), 0);
}
