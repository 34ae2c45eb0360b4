// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ddstack block protocol logic.
 *
 * A frontend ring and a backend ring share one ordinary page, laid out with
 * Xen's canonical <xen/io/ring.h> and <xen/io/blkif.h>.  Requests and
 * responses travel through that page exactly as between two domains, and
 * the pure functions of drivers/ddblk_proto.c judge them, with normal and
 * hostile values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>

#define mb()	__sync_synchronize()
#define rmb()	__sync_synchronize()
#define wmb()	__sync_synchronize()

#include <ddstack/ddblk_proto.h>

#include "check.h"

struct pair {
	void *page;
	struct blkif_sring *sring;
	struct blkif_front_ring front;
	struct blkif_back_ring back;
};

static struct pair p;

static void pair_setup(void)
{
	p.page = aligned_alloc(4096, 4096);
	if (!p.page) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(p.page, 0, 4096);
	p.sring = p.page;
	SHARED_RING_INIT(p.sring);
	FRONT_RING_INIT(&p.front, p.sring, 4096);
	BACK_RING_INIT(&p.back, p.sring, 4096);
}

static void pair_teardown(void)
{
	free(p.page);
	p.page = NULL;
}

static const struct ddblk_limits lim_default = {
	.dev_sectors = 1024 * 1024,
	.max_indirect_segs = 256,
	.align_sectors = 1,
	.flush = true,
	.barrier = true,
	.discard = true,
	.discard_secure = false,
};

/* Frontend side: push a private request onto the shared page. */
static void front_push(const struct blkif_request *req)
{
	int notify;

	*RING_GET_REQUEST(&p.front, p.front.req_prod_pvt) = *req;
	p.front.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&p.front, notify);
	(void)notify;
}

/* Backend side: take one request off the page the way the driver does. */
static int back_take(struct ddblk_req *r)
{
	struct blkif_request copy;
	RING_IDX rp = p.sring->req_prod;

	rmb();
	if (ddblk_req_prod_overflow(rp, p.back.rsp_prod_pvt, RING_SIZE(&p.back)))
		return -1;
	if (p.back.req_cons == rp)
		return 0;
	RING_COPY_REQUEST(&p.back, p.back.req_cons, &copy);
	p.back.req_cons++;
	ddblk_req_decode(&copy, r);
	return 1;
}

static void back_respond(uint64_t id, uint8_t op, int16_t status)
{
	int notify;

	ddblk_rsp_build(RING_GET_RESPONSE(&p.back, p.back.rsp_prod_pvt), id, op, status);
	p.back.rsp_prod_pvt++;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&p.back, notify);
	(void)notify;
}

static int front_take(struct blkif_response *rsp)
{
	RING_IDX rp = p.sring->rsp_prod;

	rmb();
	if (ddblk_rsp_prod_overflow(rp, p.front.rsp_cons, RING_SIZE(&p.front)))
		return -1;
	if (p.front.rsp_cons == rp)
		return 0;
	RING_COPY_RESPONSE(&p.front, p.front.rsp_cons, rsp);
	p.front.rsp_cons++;
	return 1;
}

/* Build and send a direct request, take it on the backend, judge it. */
static enum ddblk_verdict send_rw(uint8_t op, uint64_t sector,
				  const struct blkif_request_segment *segs,
				  unsigned int nr, struct ddblk_req *out,
				  const struct ddblk_limits *lim)
{
	struct blkif_request req;
	enum ddblk_verdict v;
	unsigned int i;

	ddblk_req_build_rw(&req, op, 7, 0x10, sector, nr);
	for (i = 0; i < nr && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		*ddblk_req_seg(&req, i) = segs[i];
	front_push(&req);
	if (back_take(out) != 1)
		return (enum ddblk_verdict)-1;
	v = ddblk_req_check(out, lim);
	if (v != DDBLK_OK)
		return v;
	return ddblk_req_check_segs(out, out->seg, lim);
}

static struct blkif_request_segment seg(grant_ref_t g, uint8_t f, uint8_t l)
{
	struct blkif_request_segment s = { .gref = g, .first_sect = f, .last_sect = l };

	return s;
}

/* ---- tests ---- */

static int t_ring_geometry(void)
{
	CHECK_EQ(RING_SIZE(&p.front), 32);
	CHECK_EQ(RING_SIZE(&p.back), 32);
	CHECK_EQ(sizeof(struct blkif_request), 112);
	CHECK_EQ(offsetof(struct blkif_request, id), 8);
	CHECK_EQ(offsetof(struct blkif_request_indirect, indirect_grefs), 28);
	CHECK_EQ(DDBLK_SEGS_PER_INDIRECT_PAGE, 512);
	return 0;
}

static int t_rw_roundtrip(void)
{
	struct blkif_request_segment s[3] = { seg(100, 0, 7), seg(101, 0, 7), seg(102, 2, 3) };
	struct ddblk_inflight tab[32] = { { 0 } };
	struct blkif_response rsp;
	struct ddblk_req r;

	CHECK_EQ(send_rw(BLKIF_OP_READ, 64, s, 3, &r, &lim_default), DDBLK_OK);
	CHECK_EQ(r.id, 7);
	CHECK_EQ(r.handle, 0x10);
	CHECK_EQ(r.nr_segs, 3);
	CHECK_EQ(r.nr_sectors, 18);
	CHECK_EQ(r.seg[2].gref, 102);
	tab[7].busy = 1;
	tab[7].op = BLKIF_OP_READ;
	tab[7].ring_op = BLKIF_OP_READ;
	back_respond(r.id, r.op, BLKIF_RSP_OKAY);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_OK);
	CHECK_EQ(rsp.status, BLKIF_RSP_OKAY);
	CHECK_EQ(front_take(&rsp), 0);
	return 0;
}

static int t_req_prod_overflow(void)
{
	struct ddblk_req r;

	p.sring->req_prod = p.back.rsp_prod_pvt + 33;
	CHECK(RING_REQUEST_PROD_OVERFLOW(&p.back, p.sring->req_prod), "ring.h disagrees");
	CHECK_EQ(back_take(&r), -1);
	p.sring->req_prod = p.back.rsp_prod_pvt + 32;
	CHECK(!ddblk_req_prod_overflow(p.sring->req_prod, p.back.rsp_prod_pvt, 32),
	      "full ring flagged as overflow");
	/* Producer behind the consumer: wraps to a huge distance. */
	CHECK(ddblk_req_prod_overflow(5, 10, 32), "backwards producer accepted");
	/* Indices wrapping around 2^32 are fine. */
	CHECK(!ddblk_req_prod_overflow(3, 0xfffffff0u, 32), "wrapped index rejected");
	CHECK(ddblk_req_prod_overflow(0x20, 0xfffffff0u, 32), "wrapped overflow accepted");
	return 0;
}

static int t_rsp_prod_overflow(void)
{
	struct blkif_response rsp;

	p.sring->rsp_prod = p.front.rsp_cons + 40;
	CHECK(RING_RESPONSE_PROD_OVERFLOW(&p.front, p.sring->rsp_prod), "ring.h disagrees");
	CHECK_EQ(front_take(&rsp), -1);
	CHECK(!ddblk_rsp_prod_overflow(32, 0, 32), "full ring flagged");
	return 0;
}

static int t_nseg_over_11(void)
{
	struct blkif_request_segment s[11];
	struct blkif_request req;
	struct ddblk_req r;
	unsigned int i;

	for (i = 0; i < 11; i++)
		s[i] = seg(200 + i, 0, 7);
	ddblk_req_build_rw(&req, BLKIF_OP_WRITE, 1, 0, 0, 11);
	for (i = 0; i < 11; i++)
		*ddblk_req_seg(&req, i) = s[i];
	req.nr_segments = 12;
	front_push(&req);
	CHECK_EQ(back_take(&r), 1);
	CHECK_EQ(ddblk_req_check(&r, &lim_default), DDBLK_E_NSEG);
	CHECK_EQ(ddblk_verdict_status(DDBLK_E_NSEG), BLKIF_RSP_ERROR);
	return 0;
}

static int t_nseg_255(void)
{
	struct blkif_request req;
	struct ddblk_req r;

	memset(&req, 0xff, sizeof(req));
	req.operation = BLKIF_OP_READ;
	front_push(&req);
	CHECK_EQ(back_take(&r), 1);
	CHECK_EQ(r.nr_segs, 255);
	CHECK_EQ(ddblk_req_check(&r, &lim_default), DDBLK_E_NSEG);
	return 0;
}

static int t_nseg_zero_rw(void)
{
	struct ddblk_req r;

	CHECK_EQ(send_rw(BLKIF_OP_WRITE, 0, NULL, 0, &r, &lim_default), DDBLK_E_NSEG);
	return 0;
}

static int t_flush_no_data(void)
{
	struct ddblk_limits lim = lim_default;
	struct ddblk_req r;

	CHECK_EQ(send_rw(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, &r, &lim), DDBLK_OK);
	CHECK_EQ(r.nr_sectors, 0);
	lim.flush = false;
	CHECK_EQ(send_rw(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, &r, &lim), DDBLK_E_OP);
	CHECK_EQ(ddblk_verdict_status(DDBLK_E_OP), BLKIF_RSP_EOPNOTSUPP);
	return 0;
}

static int t_barrier_not_offered(void)
{
	struct blkif_request_segment s[1] = { seg(300, 0, 7) };
	struct ddblk_limits lim = lim_default;
	struct ddblk_req r;

	CHECK_EQ(send_rw(BLKIF_OP_WRITE_BARRIER, 8, s, 1, &r, &lim), DDBLK_OK);
	lim.barrier = false;
	CHECK_EQ(send_rw(BLKIF_OP_WRITE_BARRIER, 8, s, 1, &r, &lim), DDBLK_E_OP);
	return 0;
}

static int t_unknown_op(void)
{
	static const uint8_t ops[] = { BLKIF_OP_RESERVED_1, 7, 42, 255 };
	struct blkif_request req;
	struct ddblk_req r;
	unsigned int i;

	for (i = 0; i < sizeof(ops); i++) {
		memset(&req, 0, sizeof(req));
		req.operation = ops[i];
		req.id = 0x1234 + i;
		front_push(&req);
		CHECK_EQ(back_take(&r), 1);
		CHECK_EQ(r.id, 0x1234 + i);
		CHECK_EQ(ddblk_req_check(&r, &lim_default), DDBLK_E_OP);
		back_respond(r.id, r.op, ddblk_verdict_status(DDBLK_E_OP));
	}
	return 0;
}

static int t_first_after_last(void)
{
	struct blkif_request_segment s[2] = { seg(100, 0, 7), seg(101, 5, 4) };
	struct ddblk_req r;

	CHECK_EQ(send_rw(BLKIF_OP_READ, 0, s, 2, &r, &lim_default), DDBLK_E_SEG);
	return 0;
}

static int t_last_sect_over_7(void)
{
	struct blkif_request_segment s[1] = { seg(100, 0, 8) };
	struct ddblk_req r;

	CHECK_EQ(send_rw(BLKIF_OP_READ, 0, s, 1, &r, &lim_default), DDBLK_E_SEG);
	s[0] = seg(100, 7, 7);
	CHECK_EQ(send_rw(BLKIF_OP_READ, 0, s, 1, &r, &lim_default), DDBLK_OK);
	CHECK_EQ(r.nr_sectors, 1);
	s[0] = seg(100, 255, 255);
	CHECK_EQ(send_rw(BLKIF_OP_READ, 0, s, 1, &r, &lim_default), DDBLK_E_SEG);
	return 0;
}

static int t_reserved_gref(void)
{
	struct blkif_request_segment s[1] = { seg(3, 0, 7) };
	struct ddblk_req r;

	CHECK_EQ(send_rw(BLKIF_OP_WRITE, 0, s, 1, &r, &lim_default), DDBLK_E_GREF);
	return 0;
}

static int t_past_device_end(void)
{
	struct blkif_request_segment s[1] = { seg(100, 0, 1) };
	struct ddblk_limits lim = lim_default;
	struct ddblk_req r;

	lim.dev_sectors = 100;
	CHECK_EQ(send_rw(BLKIF_OP_READ, 98, s, 1, &r, &lim), DDBLK_OK);
	CHECK_EQ(send_rw(BLKIF_OP_READ, 99, s, 1, &r, &lim), DDBLK_E_RANGE);
	CHECK_EQ(send_rw(BLKIF_OP_READ, 100, s, 1, &r, &lim), DDBLK_E_RANGE);
	CHECK_EQ(send_rw(BLKIF_OP_READ, UINT64_MAX, s, 1, &r, &lim), DDBLK_E_RANGE);
	CHECK_EQ(send_rw(BLKIF_OP_READ, UINT64_MAX - 1, s, 1, &r, &lim), DDBLK_E_RANGE);
	return 0;
}

static int t_misaligned(void)
{
	struct blkif_request_segment s[1] = { seg(100, 0, 7) };
	struct ddblk_limits lim = lim_default;
	struct ddblk_req r;

	lim.align_sectors = 8;
	CHECK_EQ(send_rw(BLKIF_OP_READ, 8, s, 1, &r, &lim), DDBLK_OK);
	CHECK_EQ(send_rw(BLKIF_OP_READ, 1, s, 1, &r, &lim), DDBLK_E_ALIGN);
	s[0] = seg(100, 0, 3);
	CHECK_EQ(send_rw(BLKIF_OP_READ, 8, s, 1, &r, &lim), DDBLK_E_ALIGN);
	return 0;
}

static int t_read_only(void)
{
	struct blkif_request_segment s[1] = { seg(100, 0, 7) };
	struct ddblk_limits lim = lim_default;
	struct ddblk_req r;

	lim.read_only = true;
	CHECK_EQ(send_rw(BLKIF_OP_READ, 0, s, 1, &r, &lim), DDBLK_OK);
	CHECK_EQ(send_rw(BLKIF_OP_WRITE, 0, s, 1, &r, &lim), DDBLK_E_RO);
	CHECK_EQ(send_rw(BLKIF_OP_WRITE_BARRIER, 0, s, 1, &r, &lim), DDBLK_E_RO);
	CHECK_EQ(send_rw(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, &r, &lim), DDBLK_OK);
	return 0;
}

static enum ddblk_verdict send_indirect(uint8_t op, unsigned int nr_segs,
					const grant_ref_t *grefs, unsigned int nr_pages,
					struct ddblk_req *r, const struct ddblk_limits *lim)
{
	struct blkif_request req;

	ddblk_req_build_indirect(&req, op, 9, 0x20, 0, nr_segs, grefs, nr_pages);
	front_push(&req);
	if (back_take(r) != 1)
		return (enum ddblk_verdict)-1;
	return ddblk_req_check(r, lim);
}

static int t_indirect_ok(void)
{
	static struct blkif_request_segment ipage[512];
	grant_ref_t g[1] = { 500 };
	struct ddblk_req r;
	unsigned int i;

	CHECK_EQ(send_indirect(BLKIF_OP_WRITE, 100, g, 1, &r, &lim_default), DDBLK_OK);
	CHECK(r.indirect, "not decoded as indirect");
	CHECK_EQ(r.op, BLKIF_OP_WRITE);
	CHECK_EQ(r.operation, BLKIF_OP_INDIRECT);
	CHECK_EQ(r.nr_indirect_pages, 1);
	CHECK_EQ(r.indirect_grefs[0], 500);
	CHECK_EQ(r.id, 9);
	CHECK_EQ(r.handle, 0x20);
	for (i = 0; i < 100; i++)
		ipage[i] = seg(1000 + i, 0, 7);
	CHECK_EQ(ddblk_req_check_segs(&r, ipage, &lim_default), DDBLK_OK);
	CHECK_EQ(r.nr_sectors, 800);
	ipage[57].last_sect = 9;
	CHECK_EQ(ddblk_req_check_segs(&r, ipage, &lim_default), DDBLK_E_SEG);
	return 0;
}

static int t_indirect_over_limit(void)
{
	grant_ref_t g[8] = { 500, 501, 502, 503, 504, 505, 506, 507 };
	struct ddblk_req r;

	CHECK_EQ(send_indirect(BLKIF_OP_READ, 256, g, 1, &r, &lim_default), DDBLK_OK);
	CHECK_EQ(send_indirect(BLKIF_OP_READ, 257, g, 1, &r, &lim_default), DDBLK_E_NIND);
	CHECK_EQ(send_indirect(BLKIF_OP_READ, 0, g, 1, &r, &lim_default), DDBLK_E_NIND);
	CHECK_EQ(send_indirect(BLKIF_OP_READ, 65535, g, 8, &r, &lim_default), DDBLK_E_NIND);
	CHECK_EQ(r.nr_indirect_pages, 128);
	return 0;
}

static int t_indirect_page_count(void)
{
	grant_ref_t g[8] = { 500, 501, 502, 503, 504, 505, 506, 507 };
	struct ddblk_limits lim = lim_default;
	struct ddblk_req r;

	/* A limit above the protocol maximum must not widen the check. */
	lim.max_indirect_segs = 1u << 20;
	CHECK_EQ(send_indirect(BLKIF_OP_READ, 4096, g, 8, &r, &lim), DDBLK_OK);
	CHECK_EQ(r.nr_indirect_pages, 8);
	CHECK_EQ(send_indirect(BLKIF_OP_READ, 4097, g, 8, &r, &lim), DDBLK_E_NIND);
	return 0;
}

static int t_indirect_not_offered(void)
{
	grant_ref_t g[1] = { 500 };
	struct ddblk_limits lim = lim_default;
	struct ddblk_req r;

	lim.max_indirect_segs = 0;
	CHECK_EQ(send_indirect(BLKIF_OP_READ, 20, g, 1, &r, &lim), DDBLK_E_OP);
	return 0;
}

static int t_indirect_bad_inner_op(void)
{
	grant_ref_t g[1] = { 500 };
	struct ddblk_req r;

	CHECK_EQ(send_indirect(BLKIF_OP_FLUSH_DISKCACHE, 20, g, 1, &r, &lim_default),
		 DDBLK_E_NIND);
	CHECK_EQ(send_indirect(BLKIF_OP_INDIRECT, 20, g, 1, &r, &lim_default), DDBLK_E_NIND);
	CHECK_EQ(send_indirect(77, 20, g, 1, &r, &lim_default), DDBLK_E_NIND);
	return 0;
}

static int t_indirect_bad_gref(void)
{
	grant_ref_t g[2] = { 500, 0 };
	struct ddblk_limits lim = lim_default;
	struct ddblk_req r;

	lim.max_indirect_segs = 1024;
	CHECK_EQ(send_indirect(BLKIF_OP_READ, 600, g, 2, &r, &lim), DDBLK_E_GREF);
	g[1] = 501;
	CHECK_EQ(send_indirect(BLKIF_OP_READ, 600, g, 2, &r, &lim), DDBLK_OK);
	return 0;
}

static int t_discard(void)
{
	struct ddblk_limits lim = lim_default;
	struct blkif_request req;
	struct ddblk_req r;

	lim.dev_sectors = 1000;
	ddblk_req_build_discard(&req, 11, 0, 100, 900, true);
	front_push(&req);
	CHECK_EQ(back_take(&r), 1);
	CHECK_EQ(r.nr_sectors, 900);
	CHECK_EQ(r.discard_flags, BLKIF_DISCARD_SECURE);
	CHECK_EQ(r.id, 11);
	CHECK_EQ(ddblk_req_check(&r, &lim), DDBLK_OK);
	r.nr_sectors = 901;
	CHECK_EQ(ddblk_req_check(&r, &lim), DDBLK_E_RANGE);
	r.nr_sectors = UINT64_MAX;
	CHECK_EQ(ddblk_req_check(&r, &lim), DDBLK_E_RANGE);
	r.nr_sectors = 10;
	lim.read_only = true;
	CHECK_EQ(ddblk_req_check(&r, &lim), DDBLK_E_RO);
	lim.read_only = false;
	lim.discard = false;
	CHECK_EQ(ddblk_req_check(&r, &lim), DDBLK_E_OP);
	return 0;
}

static int t_rsp_bad_id(void)
{
	struct ddblk_inflight tab[32] = { { 0 } };
	struct blkif_response rsp;

	back_respond(32, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_BAD_ID);
	back_respond(UINT64_MAX, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_BAD_ID);
	return 0;
}

static int t_rsp_duplicate(void)
{
	struct ddblk_inflight tab[32] = { { 0 } };
	struct blkif_response rsp;

	tab[4].busy = 1;
	tab[4].op = BLKIF_OP_WRITE;
	tab[4].ring_op = BLKIF_OP_WRITE;
	back_respond(4, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
	back_respond(4, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_OK);
	tab[4].busy = 0;
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_NOT_PENDING);
	return 0;
}

static int t_rsp_wrong_op(void)
{
	struct ddblk_inflight tab[32] = { { 0 } };
	struct blkif_response rsp;

	tab[1].busy = 1;
	tab[1].op = BLKIF_OP_READ;
	tab[1].ring_op = BLKIF_OP_INDIRECT;
	back_respond(1, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_BAD_OP);
	back_respond(1, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_OK);
	back_respond(1, BLKIF_OP_INDIRECT, BLKIF_RSP_OKAY);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_OK);
	return 0;
}

static int t_rsp_bad_status(void)
{
	struct ddblk_inflight tab[32] = { { 0 } };
	struct blkif_response rsp;

	tab[2].busy = 1;
	tab[2].op = BLKIF_OP_READ;
	tab[2].ring_op = BLKIF_OP_READ;
	back_respond(2, BLKIF_OP_READ, 5);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_BAD_STATUS);
	back_respond(2, BLKIF_OP_READ, BLKIF_RSP_EOPNOTSUPP);
	CHECK_EQ(front_take(&rsp), 1);
	CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_OK);
	return 0;
}

static int t_full_ring(void)
{
	struct ddblk_inflight tab[32] = { { 0 } };
	struct blkif_request_segment s[1] = { seg(100, 0, 7) };
	struct blkif_response rsp;
	struct blkif_request req;
	struct ddblk_req r;
	unsigned int i, n = 0;

	for (i = 0; i < 32; i++) {
		CHECK(!RING_FULL(&p.front), "ring full after %u requests", i);
		ddblk_req_build_rw(&req, BLKIF_OP_READ, i, 0, i * 8, 1);
		*ddblk_req_seg(&req, 0) = s[0];
		tab[i].busy = 1;
		tab[i].op = tab[i].ring_op = BLKIF_OP_READ;
		front_push(&req);
	}
	CHECK(RING_FULL(&p.front), "ring not full after 32 requests");
	while (back_take(&r) == 1) {
		CHECK_EQ(r.id, n);
		CHECK_EQ(ddblk_req_check(&r, &lim_default), DDBLK_OK);
		back_respond(r.id, r.op, BLKIF_RSP_OKAY);
		n++;
	}
	CHECK_EQ(n, 32);
	n = 0;
	while (front_take(&rsp) == 1) {
		CHECK_EQ(ddblk_rsp_check(&rsp, tab, 32), DDBLK_RSP_OK);
		tab[rsp.id].busy = 0;
		n++;
	}
	CHECK_EQ(n, 32);
	CHECK(!RING_FULL(&p.front), "ring still full");
	return 0;
}

static int t_layout(void)
{
	struct ddblk_layout l;

	CHECK_EQ(ddblk_req_layout(0, 0, &l), 0);
	CHECK_EQ(l.nr_grants, 0);
	CHECK_EQ(ddblk_req_layout(11, 0, &l), 0);
	CHECK(!l.indirect, "11 segments sent indirect");
	CHECK_EQ(l.nr_grants, 11);
	CHECK_EQ(ddblk_req_layout(12, 0, &l), -E2BIG);
	CHECK_EQ(ddblk_req_layout(12, 256, &l), 0);
	CHECK(l.indirect, "12 segments sent direct");
	CHECK_EQ(l.nr_indirect_pages, 1);
	CHECK_EQ(l.nr_grants, 13);
	CHECK_EQ(ddblk_req_layout(513, 4096, &l), 0);
	CHECK_EQ(l.nr_indirect_pages, 2);
	CHECK_EQ(ddblk_req_layout(257, 256, &l), -E2BIG);
	CHECK_EQ(ddblk_req_layout(4097, 8192, &l), -E2BIG);
	CHECK_EQ(ddblk_indirect_pages(512), 1);
	CHECK_EQ(ddblk_indirect_pages(4096), 8);
	return 0;
}

static int t_seg_fill(void)
{
	struct blkif_request_segment s;

	ddblk_seg_fill(&s, 77, 512, 1024);
	CHECK_EQ(s.gref, 77);
	CHECK_EQ(s.first_sect, 1);
	CHECK_EQ(s.last_sect, 2);
	ddblk_seg_fill(&s, 77, 0, 4096);
	CHECK_EQ(s.first_sect, 0);
	CHECK_EQ(s.last_sect, 7);
	CHECK_EQ(ddblk_seg_check(&s), DDBLK_OK);
	return 0;
}

static int t_verdict_strings(void)
{
	int v;

	for (v = DDBLK_OK; v <= DDBLK_E_RO; v++)
		CHECK(strcmp(ddblk_verdict_str(v), "unknown") != 0, "no text for %d", v);
	for (v = DDBLK_RSP_OK; v <= DDBLK_RSP_BAD_STATUS; v++)
		CHECK(strcmp(ddblk_rsp_verdict_str(v), "unknown") != 0, "no text for %d", v);
	CHECK_EQ(ddblk_verdict_status(DDBLK_OK), BLKIF_RSP_OKAY);
	CHECK_EQ(ddblk_verdict_status(DDBLK_E_RANGE), BLKIF_RSP_ERROR);
	return 0;
}

static int t_vdev_decode(void)
{
	struct ddblk_vdev v;
	char name[32];

	CHECK_EQ(ddblk_vdev_decode(202 << 8 | 16, &v), 0);	/* xvdb */
	CHECK_EQ(v.minor, 16);
	CHECK_EQ(v.nr_minors, 16);
	CHECK_EQ(ddblk_vdev_name(name, sizeof(name), &v), 0);
	CHECK(!strcmp(name, "xvdb"), "name %s", name);
	CHECK_EQ(ddblk_vdev_decode(202 << 8 | 1, &v), 0);	/* xvda1 */
	CHECK_EQ(v.nr_minors, 1);
	CHECK_EQ(ddblk_vdev_name(name, sizeof(name), &v), 0);
	CHECK(!strcmp(name, "xvda1"), "name %s", name);
	CHECK_EQ(ddblk_vdev_decode(3 << 8 | 64, &v), 0);	/* hdb */
	CHECK_EQ(v.minor, 16);
	CHECK_EQ(ddblk_vdev_decode(22 << 8 | 0, &v), 0);	/* hdc */
	CHECK_EQ(v.minor, 32);
	CHECK_EQ(v.index, 2);
	CHECK_EQ(ddblk_vdev_decode(8 << 8 | 32, &v), 0);	/* sdc */
	CHECK_EQ(v.minor, 32);
	CHECK_EQ(ddblk_vdev_decode(65 << 8 | 0, &v), 0);	/* sdq */
	CHECK_EQ(v.minor, 256);
	CHECK_EQ(v.index, 16);
	CHECK_EQ(ddblk_vdev_decode((1u << 28) | (26 * 256), &v), 0);	/* xvdaa */
	CHECK_EQ(v.minor, 26 * 256);
	CHECK_EQ(v.nr_minors, 256);
	CHECK_EQ(ddblk_vdev_name(name, sizeof(name), &v), 0);
	CHECK(!strcmp(name, "xvdaa"), "name %s", name);
	CHECK_EQ(ddblk_vdev_decode((1u << 28) | 5, &v), 0);
	CHECK_EQ(v.part, 5);
	CHECK_EQ(ddblk_vdev_decode(2u << 28, &v), -ENODEV);
	CHECK_EQ(ddblk_vdev_decode((1u << 28) | (1u << 20), &v), -ENODEV);
	CHECK_EQ(ddblk_vdev_decode(4 << 8, &v), -ENODEV);
	CHECK_EQ(ddblk_vdev_name(name, 4, &v), -ENAMETOOLONG);
	return 0;
}

#define T(n) { #n, t_##n }
static const struct test tests[] = {
	T(ring_geometry), T(rw_roundtrip), T(req_prod_overflow), T(rsp_prod_overflow),
	T(nseg_over_11), T(nseg_255), T(nseg_zero_rw), T(flush_no_data),
	T(barrier_not_offered), T(unknown_op), T(first_after_last), T(last_sect_over_7),
	T(reserved_gref), T(past_device_end), T(misaligned), T(read_only),
	T(indirect_ok), T(indirect_over_limit), T(indirect_page_count),
	T(indirect_not_offered), T(indirect_bad_inner_op), T(indirect_bad_gref),
	T(discard), T(rsp_bad_id), T(rsp_duplicate), T(rsp_wrong_op), T(rsp_bad_status),
	T(full_ring), T(layout), T(seg_fill), T(verdict_strings), T(vdev_decode),
};

int main(void)
{
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]), pair_setup, pair_teardown) ? 1 : 0;
}
