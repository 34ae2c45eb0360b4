/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddstack network protocol logic: pure functions on netif requests and
 * responses.  No allocation, no locking, no xenstore, no grant calls: the
 * same file builds in the kernel and in user space (with Xen's own
 * <xen/io/netif.h>), so every check can be unit tested on an ordinary page.
 *
 * The backend copies the tx requests of one packet off the ring into an array
 * of struct ddnet_slot (read once) and hands them to ddnet_tx_parse(); the
 * frontend checks every tx and rx response with ddnet_tx_rsp_check() and
 * ddnet_rx_rsp_check() before it touches anything the response names.
 */
#ifndef DDSTACK_DDNET_PROTO_H
#define DDSTACK_DDNET_PROTO_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <xen/interface/io/netif.h>
#define DDNET_RSP_DROPPED	XEN_NETIF_RSP_DROPPED
#define DDNET_RSP_ERROR		XEN_NETIF_RSP_ERROR
#define DDNET_RSP_OKAY		XEN_NETIF_RSP_OKAY
#define DDNET_RSP_NULL		XEN_NETIF_RSP_NULL
#define ddnet_tx_request	xen_netif_tx_request
#define ddnet_tx_response	xen_netif_tx_response
#define ddnet_rx_request	xen_netif_rx_request
#define ddnet_rx_response	xen_netif_rx_response
#define ddnet_extra_info	xen_netif_extra_info
#define DDNET_TXF_CSUM_BLANK	XEN_NETTXF_csum_blank
#define DDNET_TXF_VALIDATED	XEN_NETTXF_data_validated
#define DDNET_TXF_MORE_DATA	XEN_NETTXF_more_data
#define DDNET_TXF_EXTRA_INFO	XEN_NETTXF_extra_info
#define DDNET_RXF_VALIDATED	XEN_NETRXF_data_validated
#define DDNET_RXF_CSUM_BLANK	XEN_NETRXF_csum_blank
#define DDNET_RXF_MORE_DATA	XEN_NETRXF_more_data
#define DDNET_RXF_EXTRA_INFO	XEN_NETRXF_extra_info
#define DDNET_RXF_GSO_PREFIX	XEN_NETRXF_gso_prefix
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/netif.h>
#define DDNET_RSP_DROPPED	NETIF_RSP_DROPPED
#define DDNET_RSP_ERROR		NETIF_RSP_ERROR
#define DDNET_RSP_OKAY		NETIF_RSP_OKAY
#define DDNET_RSP_NULL		NETIF_RSP_NULL
#define ddnet_tx_request	netif_tx_request
#define ddnet_tx_response	netif_tx_response
#define ddnet_rx_request	netif_rx_request
#define ddnet_rx_response	netif_rx_response
#define ddnet_extra_info	netif_extra_info
#define DDNET_TXF_CSUM_BLANK	NETTXF_csum_blank
#define DDNET_TXF_VALIDATED	NETTXF_data_validated
#define DDNET_TXF_MORE_DATA	NETTXF_more_data
#define DDNET_TXF_EXTRA_INFO	NETTXF_extra_info
#define DDNET_RXF_VALIDATED	NETRXF_data_validated
#define DDNET_RXF_CSUM_BLANK	NETRXF_csum_blank
#define DDNET_RXF_MORE_DATA	NETRXF_more_data
#define DDNET_RXF_EXTRA_INFO	NETRXF_extra_info
#define DDNET_RXF_GSO_PREFIX	NETRXF_gso_prefix
#endif

#define DDNET_PAGE_SIZE		4096u
/* Grant references below this are reserved for the toolstack. */
#define DDNET_FIRST_GREF	8u
/* Ethernet header: the smallest packet a backend accepts. */
#define DDNET_ETH_HLEN		14u
/* Largest packet on either ring (the first slot's size is 16 bits). */
#define DDNET_MAX_PKT		0xffffu
/*
 * Data slots of one tx packet: a backend must take XEN_NETIF_NR_SLOTS_MIN
 * (18); more than DDNET_TX_SLOTS_FATAL is an attack, not a big packet.
 */
#define DDNET_TX_SLOTS_MAX	XEN_NETIF_NR_SLOTS_MIN
#define DDNET_TX_SLOTS_FATAL	20u
/* Extra-info slots one packet may carry: one of each type at most. */
#define DDNET_MAX_EXTRAS	4u
/* Most slots one tx packet spans on the ring (data plus extras). */
#define DDNET_TX_SCAN_MAX	(DDNET_TX_SLOTS_FATAL + DDNET_MAX_EXTRAS)
/* Rx slots a frontend accepts for one packet (MAX_SKB_FRAGS + 1 on Linux). */
#define DDNET_RX_SLOTS_MAX	18u

/*
 * One ring slot as copied off a tx ring: a tx request, or an extra-info
 * segment that a previous slot announced (same 12 bytes, other layout).
 */
union ddnet_slot {
	struct ddnet_tx_request req;
	struct ddnet_extra_info extra;
};

/**
 * struct ddnet_tx_limits - what the backend negotiated with this frontend
 * @max_slots: data slots accepted per packet (>= DDNET_TX_SLOTS_MAX)
 * @mtu: largest packet the backend forwards, without the Ethernet header
 * @gso_v4: feature-gso-tcpv4 offered
 * @gso_v6: feature-gso-tcpv6 offered
 * @csum: checksum offload (NETTXF_csum_blank) accepted
 * @mcast: feature-multicast-control offered (MCAST_ADD/DEL extras)
 */
struct ddnet_tx_limits {
	unsigned int max_slots;
	unsigned int mtu;
	bool gso_v4;
	bool gso_v6;
	bool csum;
	bool mcast;
};

/**
 * struct ddnet_tx_pkt - one tx packet after ddnet_tx_parse()
 * @nr_ring_slots: ring slots the packet spans (data plus extras); the
 *	backend consumes these and writes one response for each
 * @nr_slots: data slots, first included
 * @size: packet length (the first slot's size)
 * @first_len: bytes of the packet in the first slot
 * @flags: flags of the first slot (DDNET_TXF_*)
 * @gso_type: XEN_NETIF_GSO_TYPE_* (NONE without a GSO extra)
 * @gso_size: GSO segment size
 * @mcast_op: XEN_NETIF_EXTRA_TYPE_MCAST_ADD/DEL, or 0 (then @size is 0
 *	and no data slot is consumed beyond the first)
 * @mcast_addr: address of an MCAST extra
 * @slot: data slots (grant, offset, size, id), first included; extras
 *	are not in here
 * @nr_extras: extra-info slots; on the ring they follow the first data
 *	slot, so the responses go: @slot[0], @nr_extras DDNET_RSP_NULL, then
 *	@slot[1..@nr_slots-1]
 */
struct ddnet_tx_pkt {
	unsigned int nr_ring_slots;
	unsigned int nr_slots;
	unsigned int size;
	unsigned int first_len;
	uint16_t flags;
	uint8_t gso_type;
	uint16_t gso_size;
	uint8_t mcast_op;
	uint8_t mcast_addr[6];
	struct ddnet_tx_request slot[DDNET_TX_SLOTS_FATAL];
	unsigned int nr_extras;
};

/**
 * enum ddnet_tx_verdict - outcome of ddnet_tx_parse()
 * @DDNET_TX_OK: well formed; @pkt is filled in
 * @DDNET_TX_E_SIZE: first slot smaller than the rest, packet shorter than
 *	an Ethernet header or longer than the MTU allows (drop)
 * @DDNET_TX_E_SLOTS: more data slots than @max_slots (drop)
 * @DDNET_TX_E_GREF: reserved grant reference (drop)
 * @DDNET_TX_E_FLAGS: unknown flag bits, or csum_blank without checksum
 *	offload (drop)
 * @DDNET_TX_E_GSO: GSO extra with an unoffered type or a zero/huge size (drop)
 * @DDNET_TX_E_EXTRA_DUP: the same extra type twice in one packet (drop)
 * @DDNET_TX_FATAL_PAGE: offset + size beyond the page (disconnect)
 * @DDNET_TX_FATAL_SLOTS: more than DDNET_TX_SLOTS_FATAL slots (disconnect)
 * @DDNET_TX_FATAL_EXTRA: extra type NONE or unknown, or too many (disconnect)
 * @DDNET_TX_FATAL_RING: the packet claims more slots than the frontend has
 *	put on the ring (disconnect; frontends publish whole packets)
 */
enum ddnet_tx_verdict {
	DDNET_TX_OK = 0,
	DDNET_TX_E_SIZE,
	DDNET_TX_E_SLOTS,
	DDNET_TX_E_GREF,
	DDNET_TX_E_FLAGS,
	DDNET_TX_E_GSO,
	DDNET_TX_E_EXTRA_DUP,
	DDNET_TX_FATAL_PAGE,
	DDNET_TX_FATAL_SLOTS,
	DDNET_TX_FATAL_EXTRA,
	DDNET_TX_FATAL_RING,
	DDNET_TX_NR_VERDICTS
};

/**
 * ddnet_tx_fatal() - whether a verdict ends the connection
 * @v: verdict of ddnet_tx_parse()
 *
 * Return: true for the DDNET_TX_FATAL_* verdicts.
 */
static inline bool ddnet_tx_fatal(enum ddnet_tx_verdict v)
{
	return v >= DDNET_TX_FATAL_PAGE && v < DDNET_TX_NR_VERDICTS;
}

const char *ddnet_tx_verdict_str(enum ddnet_tx_verdict v);
bool ddnet_req_prod_overflow(uint32_t req_prod, uint32_t req_cons,
			     unsigned int ring_size);
bool ddnet_rsp_prod_overflow(uint32_t rsp_prod, uint32_t rsp_cons,
			     unsigned int ring_size);
enum ddnet_tx_verdict ddnet_tx_parse(const union ddnet_slot *slots,
				     unsigned int avail,
				     const struct ddnet_tx_limits *lim,
				     struct ddnet_tx_pkt *pkt);
void ddnet_tx_rsp_build(struct ddnet_tx_response *rsp, uint16_t id,
			int16_t status);

/* ---- backend rx: building responses into the frontend's buffers ---- */

/**
 * struct ddnet_rx_meta - what the first rx response of a packet says
 * @flags: DDNET_RXF_* of the first response
 * @gso_type: XEN_NETIF_GSO_TYPE_* to announce in a GSO extra, or NONE
 * @gso_size: GSO segment size for the extra
 */
struct ddnet_rx_meta {
	uint16_t flags;
	uint8_t gso_type;
	uint16_t gso_size;
};

void ddnet_rx_rsp_build(struct ddnet_rx_response *rsp, uint16_t id,
			uint16_t offset, uint16_t flags, int16_t status);
void ddnet_extra_gso_build(struct ddnet_extra_info *e, uint8_t gso_type,
			   uint16_t gso_size, bool more);

/* ---- frontend: checking what the backend answers ---- */

/**
 * enum ddnet_rsp_verdict - outcome of a response check in the frontend
 * @DDNET_RSP_V_OK: the response may be used
 * @DDNET_RSP_V_BAD_ID: id outside the ring or not the one expected
 * @DDNET_RSP_V_NOT_PENDING: id is not in flight (duplicate or invented)
 * @DDNET_RSP_V_BAD_STATUS: status outside what the protocol allows
 * @DDNET_RSP_V_BAD_OFFSET: rx data beyond the granted page
 * @DDNET_RSP_V_BAD_FLAGS: unknown flags, or an extra where none may be
 * @DDNET_RSP_V_BAD_EXTRA: extra-info of an unknown type or bad GSO values
 * @DDNET_RSP_V_TOO_LONG: packet spans too many slots or bytes
 * @DDNET_RSP_V_HELD: the backend still maps a page it answered for
 */
enum ddnet_rsp_verdict {
	DDNET_RSP_V_OK = 0,
	DDNET_RSP_V_BAD_ID,
	DDNET_RSP_V_NOT_PENDING,
	DDNET_RSP_V_BAD_STATUS,
	DDNET_RSP_V_BAD_OFFSET,
	DDNET_RSP_V_BAD_FLAGS,
	DDNET_RSP_V_BAD_EXTRA,
	DDNET_RSP_V_TOO_LONG,
	DDNET_RSP_V_HELD,
};

const char *ddnet_rsp_verdict_str(enum ddnet_rsp_verdict v);
enum ddnet_rsp_verdict ddnet_tx_rsp_check(const struct ddnet_tx_response *rsp,
					  unsigned int ring_size,
					  const uint8_t *pending);
enum ddnet_rsp_verdict ddnet_rx_rsp_check(const struct ddnet_rx_response *rsp,
					  uint16_t expect_id);
enum ddnet_rsp_verdict ddnet_rx_extra_check(const struct ddnet_extra_info *e,
					    bool gso_v4, bool gso_v6);
enum ddnet_rsp_verdict ddnet_rx_pkt_check(unsigned int nr_slots,
					  unsigned int len);
void ddnet_tx_req_fill(struct ddnet_tx_request *req, uint32_t gref,
		       uint16_t offset, uint16_t size, uint16_t id,
		       uint16_t flags);
void ddnet_tx_extra_gso_fill(struct ddnet_extra_info *e, uint8_t gso_type,
			     uint16_t gso_size, bool more);

#endif /* DDSTACK_DDNET_PROTO_H */
