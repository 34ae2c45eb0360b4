/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddstack block protocol logic: pure functions on blkif requests and
 * responses.  No allocation, no locking, no xenstore, no grant calls: the
 * same file builds in the kernel and in user space (with Xen's own
 * <xen/io/blkif.h>), so every check can be unit tested on an ordinary page.
 */
#ifndef DDSTACK_DDBLK_PROTO_H
#define DDSTACK_DDBLK_PROTO_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <xen/interface/io/blkif.h>
/* Linux lays the request out as a header byte plus a union. */
#define DDBLK_RW(r)		(&(r)->u.rw)
#define DDBLK_DISCARD(r)	(&(r)->u.discard)
#define DDBLK_INDIRECT(r)	(&(r)->u.indirect)
#define DDBLK_OTHER_ID(r)	((r)->u.other.id)
#define DDBLK_CRW(r)		(&(r)->u.rw)
#define DDBLK_CDISCARD(r)	(&(r)->u.discard)
#define DDBLK_CINDIRECT(r)	(&(r)->u.indirect)
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/blkif.h>
/* Xen's canonical header declares one struct per request shape. */
#define DDBLK_RW(r)		(r)
#define DDBLK_DISCARD(r)	((struct blkif_request_discard *)(void *)(r))
#define DDBLK_INDIRECT(r)	((struct blkif_request_indirect *)(void *)(r))
#define DDBLK_OTHER_ID(r)	((r)->id)
#define DDBLK_CRW(r)		(r)
#define DDBLK_CDISCARD(r)	((const struct blkif_request_discard *)(const void *)(r))
#define DDBLK_CINDIRECT(r)	((const struct blkif_request_indirect *)(const void *)(r))
#endif

/* Sector fields are always in 512-byte units. */
#define DDBLK_SECTOR_SHIFT		9
#define DDBLK_PAGE_SIZE			4096u
#define DDBLK_SECTS_PER_PAGE		(DDBLK_PAGE_SIZE >> DDBLK_SECTOR_SHIFT)
#define DDBLK_SEGS_PER_INDIRECT_PAGE	\
	(DDBLK_PAGE_SIZE / sizeof(struct blkif_request_segment))
#define DDBLK_MAX_INDIRECT_SEGS		\
	(BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * DDBLK_SEGS_PER_INDIRECT_PAGE)
/* Grant references below this are reserved for the toolstack. */
#define DDBLK_FIRST_GREF		8u

/**
 * struct ddblk_req - a ring request after it has been copied off the ring
 * @id: frontend cookie, echoed in the response
 * @sector: first sector (512-byte units)
 * @nr_sectors: sectors covered; from the request for discard, computed by
 *	ddblk_req_check_segs() for reads and writes
 * @handle: virtual device handle
 * @operation: operation as found on the ring (may be BLKIF_OP_INDIRECT)
 * @op: effective operation (the indirect_op for indirect requests)
 * @discard_flags: BLKIF_DISCARD_* flags of a discard request
 * @indirect: request carries its segments in indirect pages
 * @nr_segs: number of data segments
 * @nr_indirect_pages: indirect pages needed for @nr_segs
 * @indirect_grefs: grant references of the indirect pages
 * @seg: inline segments of a direct request
 */
struct ddblk_req {
	uint64_t id;
	uint64_t sector;
	uint64_t nr_sectors;
	uint16_t handle;
	uint8_t operation;
	uint8_t op;
	uint8_t discard_flags;
	bool indirect;
	unsigned int nr_segs;
	unsigned int nr_indirect_pages;
	grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/**
 * struct ddblk_limits - what the backend accepts for one device
 * @dev_sectors: device size in 512-byte sectors
 * @max_indirect_segs: advertised feature-max-indirect-segments (0: none)
 * @align_sectors: logical block size in 512-byte sectors (power of two)
 * @read_only: device opened read-only
 * @flush: feature-flush-cache offered
 * @barrier: feature-barrier offered
 * @discard: feature-discard offered
 * @discard_secure: discard-secure offered
 */
struct ddblk_limits {
	uint64_t dev_sectors;
	unsigned int max_indirect_segs;
	unsigned int align_sectors;
	bool read_only;
	bool flush;
	bool barrier;
	bool discard;
	bool discard_secure;
};

/**
 * enum ddblk_verdict - outcome of a request check
 * @DDBLK_OK: request is well formed
 * @DDBLK_E_OP: unknown or unsupported operation (answer EOPNOTSUPP)
 * @DDBLK_E_NSEG: bad number of segments
 * @DDBLK_E_NIND: bad indirect request (count, pages or inner operation)
 * @DDBLK_E_SEG: segment with first_sect > last_sect or beyond the page
 * @DDBLK_E_GREF: reserved grant reference
 * @DDBLK_E_RANGE: sectors past the end of the device or wrapping
 * @DDBLK_E_ALIGN: not aligned to the logical block size
 * @DDBLK_E_RO: write to a read-only device
 */
enum ddblk_verdict {
	DDBLK_OK = 0,
	DDBLK_E_OP,
	DDBLK_E_NSEG,
	DDBLK_E_NIND,
	DDBLK_E_SEG,
	DDBLK_E_GREF,
	DDBLK_E_RANGE,
	DDBLK_E_ALIGN,
	DDBLK_E_RO,
};

/**
 * struct ddblk_inflight - what a frontend remembers about one request id
 * @busy: id is in flight
 * @op: effective operation sent
 * @ring_op: operation as written on the ring (BLKIF_OP_INDIRECT or @op)
 */
struct ddblk_inflight {
	uint8_t busy;
	uint8_t op;
	uint8_t ring_op;
};

/**
 * enum ddblk_rsp_verdict - outcome of a response check
 * @DDBLK_RSP_OK: response matches a pending request
 * @DDBLK_RSP_BAD_ID: id outside the shadow table
 * @DDBLK_RSP_NOT_PENDING: id not in flight (duplicate or invented)
 * @DDBLK_RSP_BAD_OP: operation differs from the request's
 * @DDBLK_RSP_BAD_STATUS: status is not one of BLKIF_RSP_*
 */
enum ddblk_rsp_verdict {
	DDBLK_RSP_OK = 0,
	DDBLK_RSP_BAD_ID,
	DDBLK_RSP_NOT_PENDING,
	DDBLK_RSP_BAD_OP,
	DDBLK_RSP_BAD_STATUS,
};

/**
 * struct ddblk_layout - how a frontend request of N segments goes on the ring
 * @indirect: use BLKIF_OP_INDIRECT
 * @nr_indirect_pages: indirect pages to grant
 * @nr_grants: grants needed (data segments plus indirect pages)
 */
struct ddblk_layout {
	bool indirect;
	unsigned int nr_indirect_pages;
	unsigned int nr_grants;
};

const char *ddblk_verdict_str(enum ddblk_verdict v);
int16_t ddblk_verdict_status(enum ddblk_verdict v);
const char *ddblk_rsp_verdict_str(enum ddblk_rsp_verdict v);

bool ddblk_req_prod_overflow(uint32_t req_prod, uint32_t rsp_prod_pvt,
			     unsigned int ring_size);
bool ddblk_rsp_prod_overflow(uint32_t rsp_prod, uint32_t rsp_cons,
			     unsigned int ring_size);

unsigned int ddblk_indirect_pages(unsigned int nr_segs);
void ddblk_req_decode(const struct blkif_request *src, struct ddblk_req *r);
enum ddblk_verdict ddblk_req_check(const struct ddblk_req *r,
				   const struct ddblk_limits *lim);
enum ddblk_verdict ddblk_seg_check(const struct blkif_request_segment *seg);
enum ddblk_verdict ddblk_req_check_segs(struct ddblk_req *r,
					const struct blkif_request_segment *segs,
					const struct ddblk_limits *lim);
enum ddblk_verdict ddblk_req_check_range(const struct ddblk_req *r,
					 const struct ddblk_limits *lim);
void ddblk_rsp_build(struct blkif_response *rsp, uint64_t id, uint8_t op,
		     int16_t status);

int ddblk_req_layout(unsigned int nr_segs, unsigned int max_indirect_segs,
		     struct ddblk_layout *l);
void ddblk_seg_fill(struct blkif_request_segment *seg, grant_ref_t gref,
		    unsigned int offset, unsigned int len);
void ddblk_req_build_rw(struct blkif_request *req, uint8_t op, uint64_t id,
			uint16_t handle, uint64_t sector, unsigned int nr_segs);
void ddblk_req_build_indirect(struct blkif_request *req, uint8_t op,
			      uint64_t id, uint16_t handle, uint64_t sector,
			      unsigned int nr_segs, const grant_ref_t *grefs,
			      unsigned int nr_pages);
void ddblk_req_build_discard(struct blkif_request *req, uint64_t id,
			     uint16_t handle, uint64_t sector,
			     uint64_t nr_sectors, bool secure);
struct blkif_request_segment *ddblk_req_seg(struct blkif_request *req,
					    unsigned int i);
enum ddblk_rsp_verdict ddblk_rsp_check(const struct blkif_response *rsp,
				       const struct ddblk_inflight *tab,
				       unsigned int nr);

/**
 * struct ddblk_vdev - where a "virtual-device" number lands on major 202
 * @minor: first minor of the disk
 * @nr_minors: minors reserved (whole disk: partitions included; else 1)
 * @index: disk index for the name (0: xvda)
 * @part: partition number within the disk (0 for a whole disk)
 */
struct ddblk_vdev {
	unsigned int minor;
	unsigned int nr_minors;
	unsigned int index;
	unsigned int part;
};

int ddblk_vdev_decode(uint32_t vdevice, struct ddblk_vdev *v);
int ddblk_vdev_name(char *buf, size_t len, const struct ddblk_vdev *v);

#endif /* DDSTACK_DDBLK_PROTO_H */
