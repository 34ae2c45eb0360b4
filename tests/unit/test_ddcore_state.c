// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ddcore life cycle decisions (drivers/ddcore_state.c):
 * single transitions, skipped states, and a simulated handshake between a
 * backend and a frontend whose watches coalesce and arrive late.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ddstack/ddcore_state.h>

#include "check.h"

#define CHECK_ACT(got, want) CHECK((got) == (want), "%s: got %s, want %s (line %d)", \
				   #got, ddcore_action_str(got),	\
				   ddcore_action_str(want), __LINE__)

#define U	XenbusStateUnknown
#define I	XenbusStateInitialising
#define W	XenbusStateInitWait
#define D	XenbusStateInitialised
#define C	XenbusStateConnected
#define G	XenbusStateClosing
#define X	XenbusStateClosed
#define R	XenbusStateReconfiguring
#define RD	XenbusStateReconfigured

static int t_back_normal(void)
{
	CHECK_ACT(ddcore_back_action(W, I), DDCORE_NOTHING);
	CHECK_ACT(ddcore_back_action(W, D), DDCORE_CONNECT);
	CHECK_ACT(ddcore_back_action(C, C), DDCORE_NOTHING);
	CHECK_ACT(ddcore_back_action(C, G), DDCORE_CLOSE);
	CHECK_ACT(ddcore_back_action(G, X), DDCORE_CLOSED);
	CHECK_ACT(ddcore_back_action(X, U), DDCORE_GONE);
	return 0;
}

static int t_back_skipped(void)
{
	/* Initialised never seen: Connected alone must connect. */
	CHECK_ACT(ddcore_back_action(W, C), DDCORE_CONNECT);
	/* Frontend connected before our device was ready: still connect. */
	CHECK_ACT(ddcore_back_action(D, C), DDCORE_CONNECT);
	/* Closing never seen. */
	CHECK_ACT(ddcore_back_action(C, X), DDCORE_CLOSED);
	/* Reconnect after close, even without seeing Initialising. */
	CHECK_ACT(ddcore_back_action(X, I), DDCORE_INIT);
	/* The frontend's Closing and Closed coalesced away: a new frontend. */
	CHECK_ACT(ddcore_back_action(C, I), DDCORE_INIT);
	CHECK_ACT(ddcore_back_action(G, I), DDCORE_INIT);
	CHECK_ACT(ddcore_back_action(X, D), DDCORE_CONNECT);
	/* After a fatal error we wait for the frontend to close. */
	CHECK_ACT(ddcore_back_action(G, C), DDCORE_NOTHING);
	CHECK_ACT(ddcore_back_action(G, G), DDCORE_NOTHING);
	CHECK_ACT(ddcore_back_action(C, R), DDCORE_NOTHING);
	CHECK_ACT(ddcore_back_action(C, RD), DDCORE_NOTHING);
	CHECK_ACT(ddcore_back_action(C, W), DDCORE_NOTHING);
	return 0;
}

static int t_front_normal(void)
{
	CHECK_ACT(ddcore_front_action(I, W), DDCORE_INIT);
	CHECK_ACT(ddcore_front_action(D, W), DDCORE_NOTHING);
	CHECK_ACT(ddcore_front_action(D, C), DDCORE_CONNECT);
	CHECK_ACT(ddcore_front_action(C, C), DDCORE_RECONNECT);
	CHECK_ACT(ddcore_front_action(C, G), DDCORE_CLOSE);
	CHECK_ACT(ddcore_front_action(X, X), DDCORE_NOTHING);
	return 0;
}

static int t_front_skipped(void)
{
	/* InitWait never seen. */
	CHECK_ACT(ddcore_front_action(I, C), DDCORE_INIT_CONNECT);
	/* Closing never seen, or backend vanished. */
	CHECK_ACT(ddcore_front_action(C, X), DDCORE_CLOSED);
	CHECK_ACT(ddcore_front_action(C, U), DDCORE_CLOSED);
	CHECK_ACT(ddcore_front_action(I, U), DDCORE_CLOSED);
	/* Bound again: the backend is still closed from before, wait for it. */
	CHECK_ACT(ddcore_front_action(I, X), DDCORE_NOTHING);
	CHECK_ACT(ddcore_front_action(I, G), DDCORE_NOTHING);
	/* We closed first (fatal error); the backend followed: finish. */
	CHECK_ACT(ddcore_front_action(G, G), DDCORE_CLOSE);
	CHECK_ACT(ddcore_front_action(X, G), DDCORE_NOTHING);
	CHECK_ACT(ddcore_front_action(X, C), DDCORE_NOTHING);
	CHECK_ACT(ddcore_front_action(C, I), DDCORE_NOTHING);
	CHECK_ACT(ddcore_front_action(C, D), DDCORE_NOTHING);
	CHECK_ACT(ddcore_front_action(C, R), DDCORE_NOTHING);
	return 0;
}

static int t_all_pairs_defined(void)
{
	int a, b;

	for (a = U; a <= RD; a++) {
		for (b = U; b <= RD; b++) {
			CHECK(strcmp(ddcore_action_str(ddcore_back_action(a, b)), "?"),
			      "back %d/%d undefined", a, b);
			CHECK(strcmp(ddcore_action_str(ddcore_front_action(a, b)), "?"),
			      "front %d/%d undefined", a, b);
		}
	}
	CHECK(!strcmp(ddcore_action_str((enum ddcore_action)99), "?"), "bad action named");
	return 0;
}

/*
 * Two drivers acting on the decisions the way ddblkback/ddblkfront do.
 * A watch reports only the other end's state at delivery time; deliveries
 * are delayed and coalesced at random.
 */
struct end {
	int state;
	int pending;	/* a watch event is queued */
	int ready;	/* backend only: device opened */
	int rings;	/* rings mapped (back) or published (front) */
};

static void back_apply(struct end *b, int front)
{
	switch (ddcore_back_action(b->state, front)) {
	case DDCORE_INIT:
		b->state = W;
		break;
	case DDCORE_CONNECT:
		b->rings = 1;
		if (b->ready)
			b->state = C;
		break;
	case DDCORE_CLOSE:
		b->state = G;
		break;
	case DDCORE_CLOSED:
	case DDCORE_GONE:
		b->rings = 0;
		b->state = X;
		break;
	default:
		break;
	}
}

static void front_apply(struct end *f, int back)
{
	switch (ddcore_front_action(f->state, back)) {
	case DDCORE_INIT:
		f->rings = 1;
		f->state = D;
		break;
	case DDCORE_INIT_CONNECT:
		f->rings = 1;
		f->state = C;
		break;
	case DDCORE_CONNECT:
		f->state = C;
		break;
	case DDCORE_CLOSE:
	case DDCORE_CLOSED:
		f->rings = 0;
		f->state = X;
		break;
	default:
		break;
	}
}

static int simulate(unsigned int seed, int close_at_end)
{
	struct end b = { .state = I }, f = { .state = I };
	int step, old_b, old_f;

	srand(seed);
	/* Backend probe: features published, InitWait. */
	b.state = W;
	f.pending = 1;
	b.pending = 1;
	for (step = 0; step < 200; step++) {
		old_b = b.state;
		old_f = f.state;
		/* The hotplug script finishes at a random time. */
		if (!b.ready && rand() % 4 == 0) {
			b.ready = 1;
			if (b.rings && b.state != C)
				b.state = C;
		}
		if (b.pending && rand() % 2) {
			b.pending = 0;
			back_apply(&b, f.state);
		}
		if (f.pending && rand() % 2) {
			f.pending = 0;
			front_apply(&f, b.state);
		}
		if (b.state != old_b)
			f.pending = 1;
		if (f.state != old_f)
			b.pending = 1;
		if (close_at_end && b.state == C && f.state == C && !b.pending && !f.pending) {
			/* 1: the frontend closes first, 2: the backend does. */
			if (close_at_end == 1) {
				f.state = G;
				b.pending = 1;
			} else {
				b.state = G;
				f.pending = 1;
			}
			close_at_end = 0;
		}
	}
	if (close_at_end == 0 && f.state != C) {
		CHECK(b.state == X && f.state == X, "seed %u: close ended at back %d front %d",
		      seed, b.state, f.state);
		CHECK(!b.rings && !f.rings, "seed %u: rings left after close", seed);
		return 0;
	}
	CHECK(b.state == C && f.state == C, "seed %u: stuck at back %d front %d",
	      seed, b.state, f.state);
	CHECK(b.rings && f.rings, "seed %u: connected without rings", seed);
	return 0;
}

static int t_handshake_coalesced(void)
{
	unsigned int seed;

	for (seed = 1; seed <= 500; seed++)
		if (simulate(seed, 0))
			return -1;
	return 0;
}

static int t_close_coalesced(void)
{
	unsigned int seed;

	for (seed = 1; seed <= 500; seed++)
		if (simulate(seed, 1))
			return -1;
	return 0;
}

static int t_back_close_coalesced(void)
{
	unsigned int seed;

	for (seed = 1; seed <= 500; seed++)
		if (simulate(seed, 2))
			return -1;
	return 0;
}

#define T(n) { "state_" #n, t_##n }
static const struct test tests[] = {
	T(back_normal), T(back_skipped), T(front_normal), T(front_skipped),
	T(all_pairs_defined), T(handshake_coalesced), T(close_coalesced),
	T(back_close_coalesced),
};

int main(void)
{
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL) ? 1 : 0;
}
