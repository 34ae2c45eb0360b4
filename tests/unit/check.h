/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The assertion every ddstack unit test uses: a failed CHECK() leaves its
 * reason in why[] and makes the test case return -1.
 */
#ifndef DDSTACK_UNIT_CHECK_H
#define DDSTACK_UNIT_CHECK_H

#include <stdio.h>

static char why[256];

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		snprintf(why, sizeof(why), __VA_ARGS__);		\
		return -1;						\
	}								\
} while (0)

/* Each side is evaluated once: a call with side effects is fine. */
#define CHECK_EQ(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
									\
	CHECK(a_ == b_, "%s == %lld, expected %s == %lld (line %d)",	\
	      #a, a_, #b, b_, __LINE__);				\
} while (0)

/* One test case: a name and a function returning 0 (pass) or -1 (why[] says). */
struct test {
	const char *name;
	int (*fn)(void);
};

/*
 * Run every case (with setup/teardown around each when given), print
 * "PASS name" or "FAIL name: why", and return the number that failed.
 */
static inline unsigned int run_tests(const struct test *t, unsigned int n,
				     void (*setup)(void), void (*teardown)(void))
{
	unsigned int i, failed = 0;

	for (i = 0; i < n; i++) {
		why[0] = '\0';
		if (setup)
			setup();
		if (t[i].fn() == 0) {
			printf("PASS %s\n", t[i].name);
		} else {
			printf("FAIL %s: %s\n", t[i].name, why);
			failed++;
		}
		if (teardown)
			teardown();
	}
	return failed;
}

#endif
