// SPDX-License-Identifier: GPL-2.0
/*
 * ddstack block protocol logic shared by ddblkback and ddblkfront.
 *
 * Everything here is a pure function of its arguments.  The backend calls
 * these on a private copy of each request (taken with RING_COPY_REQUEST);
 * the frontend calls them on a private copy of each response.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/string.h>
#define DDBLK_EXPORT(sym)	EXPORT_SYMBOL_GPL(sym)
#else
#include <errno.h>
#include <stdio.h>
#include <string.h>
#define DDBLK_EXPORT(sym)	_Static_assert(1, #sym)
#endif

#include <ddstack/ddblk_proto.h>

/**
 * ddblk_verdict_str() - short text for a request check outcome
 * @v: verdict
 *
 * Return: a static string suitable for a log line.
 */
const char *ddblk_verdict_str(enum ddblk_verdict v)
{
	switch (v) {
	case DDBLK_OK:
		return "ok";
	case DDBLK_E_OP:
		return "unsupported operation";
	case DDBLK_E_NSEG:
		return "bad segment count";
	case DDBLK_E_NIND:
		return "bad indirect request";
	case DDBLK_E_SEG:
		return "bad segment sectors";
	case DDBLK_E_GREF:
		return "reserved grant reference";
	case DDBLK_E_RANGE:
		return "sector range outside device";
	case DDBLK_E_ALIGN:
		return "misaligned request";
	case DDBLK_E_RO:
		return "write to read-only device";
	}
	return "unknown";
}
DDBLK_EXPORT(ddblk_verdict_str);

/**
 * ddblk_verdict_status() - blkif response status for a check outcome
 * @v: verdict
 *
 * Return: BLKIF_RSP_OKAY, BLKIF_RSP_EOPNOTSUPP for unsupported operations,
 * BLKIF_RSP_ERROR for everything else.
 */
int16_t ddblk_verdict_status(enum ddblk_verdict v)
{
	if (v == DDBLK_OK)
		return BLKIF_RSP_OKAY;
	if (v == DDBLK_E_OP)
		return BLKIF_RSP_EOPNOTSUPP;
	return BLKIF_RSP_ERROR;
}
DDBLK_EXPORT(ddblk_verdict_status);

/**
 * ddblk_rsp_verdict_str() - short text for a response check outcome
 * @v: verdict
 *
 * Return: a static string suitable for a log line.
 */
const char *ddblk_rsp_verdict_str(enum ddblk_rsp_verdict v)
{
	switch (v) {
	case DDBLK_RSP_OK:
		return "ok";
	case DDBLK_RSP_BAD_ID:
		return "response id out of range";
	case DDBLK_RSP_NOT_PENDING:
		return "response for a request not in flight";
	case DDBLK_RSP_BAD_OP:
		return "response operation does not match request";
	case DDBLK_RSP_BAD_STATUS:
		return "unknown response status";
	}
	return "unknown";
}
DDBLK_EXPORT(ddblk_rsp_verdict_str);

/**
 * ddblk_req_prod_overflow() - check a request producer index from the frontend
 * @req_prod: producer index read from the shared ring
 * @rsp_prod_pvt: backend's private response producer
 * @ring_size: number of slots in the ring
 *
 * Same test as RING_REQUEST_PROD_OVERFLOW(): the frontend cannot have more
 * requests outstanding than there are slots.
 *
 * Return: true if @req_prod is impossible.
 */
bool ddblk_req_prod_overflow(uint32_t req_prod, uint32_t rsp_prod_pvt,
			     unsigned int ring_size)
{
	return (uint32_t)(req_prod - rsp_prod_pvt) > ring_size;
}
DDBLK_EXPORT(ddblk_req_prod_overflow);

/**
 * ddblk_rsp_prod_overflow() - check a response producer index from the backend
 * @rsp_prod: producer index read from the shared ring
 * @rsp_cons: frontend's response consumer
 * @ring_size: number of slots in the ring
 *
 * Same test as RING_RESPONSE_PROD_OVERFLOW().
 *
 * Return: true if @rsp_prod is impossible.
 */
bool ddblk_rsp_prod_overflow(uint32_t rsp_prod, uint32_t rsp_cons,
			     unsigned int ring_size)
{
	return (uint32_t)(rsp_prod - rsp_cons) > ring_size;
}
DDBLK_EXPORT(ddblk_rsp_prod_overflow);

/**
 * ddblk_indirect_pages() - indirect pages needed for a segment count
 * @nr_segs: number of data segments
 *
 * Return: number of pages holding @nr_segs segment descriptors.
 */
unsigned int ddblk_indirect_pages(unsigned int nr_segs)
{
	return (nr_segs + DDBLK_SEGS_PER_INDIRECT_PAGE - 1) /
		DDBLK_SEGS_PER_INDIRECT_PAGE;
}
DDBLK_EXPORT(ddblk_indirect_pages);

/**
 * ddblk_req_decode() - turn a private copy of a ring request into fields
 * @src: request copied off the ring (never the shared slot itself)
 * @r: decoded request
 *
 * Copies only what the operation defines; counts are not checked here (see
 * ddblk_req_check()), but array copies are bounded.
 */
void ddblk_req_decode(const struct blkif_request *src, struct ddblk_req *r)
{
	unsigned int i, n;

	memset(r, 0, sizeof(*r));
	r->operation = src->operation;
	r->op = src->operation;

	switch (src->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		r->id = DDBLK_CRW(src)->id;
		r->sector = DDBLK_CRW(src)->sector_number;
		r->handle = DDBLK_CRW(src)->handle;
		r->nr_segs = DDBLK_CRW(src)->nr_segments;
		n = r->nr_segs;
		if (n > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			n = BLKIF_MAX_SEGMENTS_PER_REQUEST;
		for (i = 0; i < n; i++)
			r->seg[i] = DDBLK_CRW(src)->seg[i];
		break;
	case BLKIF_OP_DISCARD:
		r->id = DDBLK_CDISCARD(src)->id;
		r->sector = DDBLK_CDISCARD(src)->sector_number;
		r->nr_sectors = DDBLK_CDISCARD(src)->nr_sectors;
		r->discard_flags = DDBLK_CDISCARD(src)->flag;
		break;
	case BLKIF_OP_INDIRECT:
		r->indirect = true;
		r->op = DDBLK_CINDIRECT(src)->indirect_op;
		r->id = DDBLK_CINDIRECT(src)->id;
		r->sector = DDBLK_CINDIRECT(src)->sector_number;
		r->handle = DDBLK_CINDIRECT(src)->handle;
		r->nr_segs = DDBLK_CINDIRECT(src)->nr_segments;
		r->nr_indirect_pages = ddblk_indirect_pages(r->nr_segs);
		n = r->nr_indirect_pages;
		if (n > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
			n = BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST;
		for (i = 0; i < n; i++)
			r->indirect_grefs[i] = DDBLK_CINDIRECT(src)->indirect_grefs[i];
		break;
	default:
		r->id = DDBLK_OTHER_ID(src);
		break;
	}
}
DDBLK_EXPORT(ddblk_req_decode);

static bool ddblk_range_bad(uint64_t sector, uint64_t nr, uint64_t size)
{
	return sector > size || nr > size - sector;
}

static bool ddblk_misaligned(uint64_t sector, uint64_t nr, unsigned int align)
{
	if (align <= 1)
		return false;
	return ((sector | nr) & (uint64_t)(align - 1)) != 0;
}

/**
 * ddblk_req_check_range() - check a request's sectors against the device
 * @r: decoded request with @r->nr_sectors known
 * @lim: device limits
 *
 * A request covering no sectors (a pure flush) is always in range.
 *
 * Return: DDBLK_OK, DDBLK_E_RANGE or DDBLK_E_ALIGN.
 */
enum ddblk_verdict ddblk_req_check_range(const struct ddblk_req *r,
					 const struct ddblk_limits *lim)
{
	if (!r->nr_sectors)
		return DDBLK_OK;
	if (ddblk_range_bad(r->sector, r->nr_sectors, lim->dev_sectors))
		return DDBLK_E_RANGE;
	if (ddblk_misaligned(r->sector, r->nr_sectors, lim->align_sectors))
		return DDBLK_E_ALIGN;
	return DDBLK_OK;
}
DDBLK_EXPORT(ddblk_req_check_range);

/**
 * ddblk_req_check() - check the header of a decoded request
 * @r: decoded request
 * @lim: what the backend offered and the device allows
 *
 * Checks the operation against the offered features, the segment count
 * against the request kind, the indirect page count and inner operation, the
 * indirect page grant references, the read-only state and, for discard, the
 * sector range.  Segment contents are checked by ddblk_req_check_segs().
 *
 * Return: DDBLK_OK or the first problem found.
 */
enum ddblk_verdict ddblk_req_check(const struct ddblk_req *r,
				   const struct ddblk_limits *lim)
{
	unsigned int i;

	switch (r->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		if (r->nr_segs == 0 || r->nr_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			return DDBLK_E_NSEG;
		break;
	case BLKIF_OP_WRITE_BARRIER:
		if (!lim->barrier)
			return DDBLK_E_OP;
		if (r->nr_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			return DDBLK_E_NSEG;
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (!lim->flush)
			return DDBLK_E_OP;
		if (r->nr_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			return DDBLK_E_NSEG;
		break;
	case BLKIF_OP_DISCARD:
		if (!lim->discard)
			return DDBLK_E_OP;
		if (lim->read_only)
			return DDBLK_E_RO;
		if (ddblk_range_bad(r->sector, r->nr_sectors, lim->dev_sectors))
			return DDBLK_E_RANGE;
		return DDBLK_OK;
	case BLKIF_OP_INDIRECT:
		if (!lim->max_indirect_segs)
			return DDBLK_E_OP;
		if (r->op != BLKIF_OP_READ && r->op != BLKIF_OP_WRITE)
			return DDBLK_E_NIND;
		if (r->nr_segs == 0 || r->nr_segs > lim->max_indirect_segs ||
		    r->nr_segs > DDBLK_MAX_INDIRECT_SEGS)
			return DDBLK_E_NIND;
		if (r->nr_indirect_pages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
			return DDBLK_E_NIND;
		for (i = 0; i < r->nr_indirect_pages; i++)
			if (r->indirect_grefs[i] < DDBLK_FIRST_GREF)
				return DDBLK_E_GREF;
		break;
	default:
		return DDBLK_E_OP;
	}

	if (lim->read_only && r->op != BLKIF_OP_READ &&
	    !(r->op == BLKIF_OP_FLUSH_DISKCACHE && r->nr_segs == 0))
		return DDBLK_E_RO;
	return DDBLK_OK;
}
DDBLK_EXPORT(ddblk_req_check);

/**
 * ddblk_seg_check() - check one segment descriptor
 * @seg: private copy of the segment
 *
 * Return: DDBLK_OK, DDBLK_E_SEG if first_sect > last_sect or last_sect lies
 * beyond the page, DDBLK_E_GREF for a reserved grant reference.
 */
enum ddblk_verdict ddblk_seg_check(const struct blkif_request_segment *seg)
{
	if (seg->first_sect > seg->last_sect ||
	    seg->last_sect >= DDBLK_SECTS_PER_PAGE)
		return DDBLK_E_SEG;
	if (seg->gref < DDBLK_FIRST_GREF)
		return DDBLK_E_GREF;
	return DDBLK_OK;
}
DDBLK_EXPORT(ddblk_seg_check);

/**
 * ddblk_req_check_segs() - check segments and the sector range they cover
 * @r: decoded request that passed ddblk_req_check(); nr_sectors is set
 * @segs: private copy of its @r->nr_segs segments
 * @lim: device limits
 *
 * Return: DDBLK_OK or the first problem found.
 */
enum ddblk_verdict ddblk_req_check_segs(struct ddblk_req *r,
					const struct blkif_request_segment *segs,
					const struct ddblk_limits *lim)
{
	enum ddblk_verdict v;
	uint64_t nr = 0;
	unsigned int i;

	for (i = 0; i < r->nr_segs; i++) {
		v = ddblk_seg_check(&segs[i]);
		if (v != DDBLK_OK)
			return v;
		nr += segs[i].last_sect - segs[i].first_sect + 1;
	}
	r->nr_sectors = nr;
	return ddblk_req_check_range(r, lim);
}
DDBLK_EXPORT(ddblk_req_check_segs);

/**
 * ddblk_rsp_build() - fill a response slot
 * @rsp: response (on the ring or a private copy)
 * @id: id copied from the request
 * @op: operation to echo (the effective operation)
 * @status: BLKIF_RSP_*
 */
void ddblk_rsp_build(struct blkif_response *rsp, uint64_t id, uint8_t op,
		     int16_t status)
{
	rsp->id = id;
	rsp->operation = op;
	rsp->status = status;
}
DDBLK_EXPORT(ddblk_rsp_build);

/**
 * ddblk_req_layout() - decide how a request of @nr_segs segments is sent
 * @nr_segs: data segments (one per granted page)
 * @max_indirect_segs: negotiated indirect limit (0: no indirect)
 * @l: result
 *
 * Return: 0, or -E2BIG if the request cannot be sent at all.
 */
int ddblk_req_layout(unsigned int nr_segs, unsigned int max_indirect_segs,
		     struct ddblk_layout *l)
{
	memset(l, 0, sizeof(*l));
	if (nr_segs <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		l->nr_grants = nr_segs;
		return 0;
	}
	if (nr_segs > max_indirect_segs || nr_segs > DDBLK_MAX_INDIRECT_SEGS)
		return -E2BIG;
	l->indirect = true;
	l->nr_indirect_pages = ddblk_indirect_pages(nr_segs);
	l->nr_grants = nr_segs + l->nr_indirect_pages;
	return 0;
}
DDBLK_EXPORT(ddblk_req_layout);

/**
 * ddblk_seg_fill() - describe a byte range of a granted page
 * @seg: segment to fill
 * @gref: grant reference of the page
 * @offset: byte offset in the page (multiple of 512)
 * @len: byte length (multiple of 512, offset + len <= page size)
 */
void ddblk_seg_fill(struct blkif_request_segment *seg, grant_ref_t gref,
		    unsigned int offset, unsigned int len)
{
	seg->gref = gref;
	seg->first_sect = offset >> DDBLK_SECTOR_SHIFT;
	seg->last_sect = (offset + len - 1) >> DDBLK_SECTOR_SHIFT;
}
DDBLK_EXPORT(ddblk_seg_fill);

/**
 * ddblk_req_build_rw() - fill the header of a direct request
 * @req: request to fill (a private copy)
 * @op: BLKIF_OP_READ, _WRITE, _WRITE_BARRIER or _FLUSH_DISKCACHE
 * @id: shadow id
 * @handle: virtual device handle
 * @sector: first sector
 * @nr_segs: number of inline segments (at most 11)
 */
void ddblk_req_build_rw(struct blkif_request *req, uint8_t op, uint64_t id,
			uint16_t handle, uint64_t sector, unsigned int nr_segs)
{
	memset(req, 0, sizeof(*req));
	req->operation = op;
	DDBLK_RW(req)->id = id;
	DDBLK_RW(req)->handle = handle;
	DDBLK_RW(req)->sector_number = sector;
	DDBLK_RW(req)->nr_segments = (uint8_t)nr_segs;
}
DDBLK_EXPORT(ddblk_req_build_rw);

/**
 * ddblk_req_seg() - inline segment @i of a direct request
 * @req: request
 * @i: index below BLKIF_MAX_SEGMENTS_PER_REQUEST
 *
 * Return: pointer to the segment.
 */
struct blkif_request_segment *ddblk_req_seg(struct blkif_request *req,
					    unsigned int i)
{
	return &DDBLK_RW(req)->seg[i];
}
DDBLK_EXPORT(ddblk_req_seg);

/**
 * ddblk_req_build_indirect() - fill an indirect request
 * @req: request to fill (a private copy)
 * @op: inner operation, BLKIF_OP_READ or BLKIF_OP_WRITE
 * @id: shadow id
 * @handle: virtual device handle
 * @sector: first sector
 * @nr_segs: number of segments held in the indirect pages
 * @grefs: grant references of the indirect pages
 * @nr_pages: number of indirect pages (at most 8)
 */
void ddblk_req_build_indirect(struct blkif_request *req, uint8_t op,
			      uint64_t id, uint16_t handle, uint64_t sector,
			      unsigned int nr_segs, const grant_ref_t *grefs,
			      unsigned int nr_pages)
{
	unsigned int i;

	memset(req, 0, sizeof(*req));
	req->operation = BLKIF_OP_INDIRECT;
	DDBLK_INDIRECT(req)->indirect_op = op;
	DDBLK_INDIRECT(req)->id = id;
	DDBLK_INDIRECT(req)->handle = handle;
	DDBLK_INDIRECT(req)->sector_number = sector;
	DDBLK_INDIRECT(req)->nr_segments = (uint16_t)nr_segs;
	for (i = 0; i < nr_pages && i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
		DDBLK_INDIRECT(req)->indirect_grefs[i] = grefs[i];
}
DDBLK_EXPORT(ddblk_req_build_indirect);

/**
 * ddblk_req_build_discard() - fill a discard request
 * @req: request to fill (a private copy)
 * @id: shadow id
 * @handle: virtual device handle (not carried by every layout)
 * @sector: first sector
 * @nr_sectors: sectors to discard
 * @secure: ask for a secure discard
 */
void ddblk_req_build_discard(struct blkif_request *req, uint64_t id,
			     uint16_t handle, uint64_t sector,
			     uint64_t nr_sectors, bool secure)
{
	memset(req, 0, sizeof(*req));
	(void)handle;
	req->operation = BLKIF_OP_DISCARD;
	DDBLK_DISCARD(req)->id = id;
	DDBLK_DISCARD(req)->sector_number = sector;
	DDBLK_DISCARD(req)->nr_sectors = nr_sectors;
	DDBLK_DISCARD(req)->flag = secure ? BLKIF_DISCARD_SECURE : 0;
}
DDBLK_EXPORT(ddblk_req_build_discard);

/**
 * ddblk_rsp_check() - check a private copy of a response
 * @rsp: response copied off the ring
 * @tab: in-flight table indexed by request id
 * @nr: entries in @tab
 *
 * Return: DDBLK_RSP_OK or what is wrong with the response.
 */
enum ddblk_rsp_verdict ddblk_rsp_check(const struct blkif_response *rsp,
				       const struct ddblk_inflight *tab,
				       unsigned int nr)
{
	const struct ddblk_inflight *f;

	if (rsp->id >= nr)
		return DDBLK_RSP_BAD_ID;
	f = &tab[rsp->id];
	if (!f->busy)
		return DDBLK_RSP_NOT_PENDING;
	if (rsp->operation != f->op && rsp->operation != f->ring_op)
		return DDBLK_RSP_BAD_OP;
	if (rsp->status != BLKIF_RSP_OKAY && rsp->status != BLKIF_RSP_ERROR &&
	    rsp->status != BLKIF_RSP_EOPNOTSUPP)
		return DDBLK_RSP_BAD_STATUS;
	return DDBLK_RSP_OK;
}
DDBLK_EXPORT(ddblk_rsp_check);

/* Linux device majors a guest configuration may name instead of xvd. */
#define DDBLK_IDE0_MAJOR	3
#define DDBLK_IDE1_MAJOR	22
#define DDBLK_SCSI0_MAJOR	8
#define DDBLK_SCSI1_MAJOR	65	/* .. 71: sd disks 16-127 */
#define DDBLK_SCSI8_MAJOR	128	/* .. 135: sd disks 128-255 */
#define DDBLK_XVD_MAJOR		202
#define DDBLK_EXT_SHIFT		28
#define DDBLK_EXTENDED		(1u << DDBLK_EXT_SHIFT)
#define DDBLK_PARTS		16
#define DDBLK_EXT_PARTS		256
#define DDBLK_MINORBITS		20

/**
 * ddblk_vdev_decode() - map a "virtual-device" value to xvd minors
 * @vdevice: value of the frontend's virtual-device key
 * @v: result
 *
 * Plain values are (major << 8 | minor) of an xvd, hd or sd device and are
 * translated to the xvd numbering (16 minors per disk); values with bit 28
 * set are extended ids (256 minors per disk).
 *
 * Return: 0, or -ENODEV for a major that is not a disk or an id out of
 * range.
 */
int ddblk_vdev_decode(uint32_t vdevice, struct ddblk_vdev *v)
{
	unsigned int major, minor, index, nr_parts = DDBLK_PARTS;

	memset(v, 0, sizeof(*v));
	if (vdevice & DDBLK_EXTENDED) {
		if (vdevice >> DDBLK_EXT_SHIFT > 1)
			return -ENODEV;
		minor = vdevice & ~DDBLK_EXTENDED;
		nr_parts = DDBLK_EXT_PARTS;
		index = minor / nr_parts;
	} else {
		major = vdevice >> 8;
		minor = vdevice & 0xff;
		if (major == DDBLK_IDE0_MAJOR || major == DDBLK_IDE1_MAJOR) {
			/* hd partitions are not carried over: the whole disk */
			index = minor / 64 + (major == DDBLK_IDE1_MAJOR ? 2 : 0);
			minor = index * DDBLK_PARTS;
		} else if (major == DDBLK_SCSI0_MAJOR) {
			index = minor / DDBLK_PARTS;
		} else if (major >= DDBLK_SCSI1_MAJOR && major <= DDBLK_SCSI1_MAJOR + 6) {
			index = minor / DDBLK_PARTS + (major - DDBLK_SCSI1_MAJOR + 1) * 16;
			minor += (major - DDBLK_SCSI1_MAJOR + 1) * 16 * DDBLK_PARTS;
		} else if (major >= DDBLK_SCSI8_MAJOR && major <= DDBLK_SCSI8_MAJOR + 7) {
			index = minor / DDBLK_PARTS + (major - DDBLK_SCSI8_MAJOR + 8) * 16;
			minor += (major - DDBLK_SCSI8_MAJOR + 8) * 16 * DDBLK_PARTS;
		} else if (major == DDBLK_XVD_MAJOR) {
			index = minor / DDBLK_PARTS;
		} else {
			return -ENODEV;
		}
	}
	if (minor >> DDBLK_MINORBITS)
		return -ENODEV;
	v->minor = minor;
	v->index = index;
	v->part = minor % nr_parts;
	v->nr_minors = v->part ? 1 : nr_parts;
	return 0;
}
DDBLK_EXPORT(ddblk_vdev_decode);

/**
 * ddblk_vdev_name() - disk name for a decoded virtual device
 * @buf: output
 * @len: size of @buf
 * @v: decoded virtual device
 *
 * xvda..xvdz, xvdaa.. for whole disks; a partition number is appended for
 * a single-partition device (xvda1).
 *
 * Return: 0, or -ENAMETOOLONG.
 */
int ddblk_vdev_name(char *buf, size_t len, const struct ddblk_vdev *v)
{
	char letters[8];
	unsigned int n = v->index, i = 0, j;
	int w;

	/* Bijective base 26: a..z, aa..zz, aaa.. */
	do {
		if (i >= sizeof(letters))
			return -ENAMETOOLONG;
		letters[i++] = 'a' + n % 26;
		n = n / 26;
	} while (n-- > 0);
	if (len < 4 + i)
		return -ENAMETOOLONG;
	buf[0] = 'x';
	buf[1] = 'v';
	buf[2] = 'd';
	for (j = 0; j < i; j++)
		buf[3 + j] = letters[i - 1 - j];
	buf[3 + i] = '\0';
	if (!v->part)
		return 0;
	w = snprintf(buf + 3 + i, len - 3 - i, "%u", v->part);
	if (w < 0 || (size_t)w >= len - 3 - i)
		return -ENAMETOOLONG;
	return 0;
}
DDBLK_EXPORT(ddblk_vdev_name);
