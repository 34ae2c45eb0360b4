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

#endif
