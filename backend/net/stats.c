// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetback: counters.  Each queue keeps two single-writer sets (NAPI poll,
 * rx kthread) under u64_stats and two atomics written by ndo_start_xmit();
 * readers sum every queue the vif has, connected or not, without a lock.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include "common.h"

static const char ddnb_stat_names[DDNB_ST_NR][ETH_GSTRING_LEN] = {
	[DDNB_ST_TX_PACKETS] = "tx_packets",
	[DDNB_ST_TX_BYTES] = "tx_bytes",
	[DDNB_ST_TX_GCOPY_OPS] = "tx_grant_copy_ops",
	[DDNB_ST_TX_GCOPY_ERR] = "tx_grant_copy_errors",
	[DDNB_ST_TX_BAD_SIZE] = "tx_bad_size",
	[DDNB_ST_TX_BAD_SLOTS] = "tx_bad_slots",
	[DDNB_ST_TX_BAD_GREF] = "tx_bad_gref",
	[DDNB_ST_TX_BAD_FLAGS] = "tx_bad_flags",
	[DDNB_ST_TX_BAD_GSO] = "tx_bad_gso",
	[DDNB_ST_TX_BAD_EXTRA_DUP] = "tx_bad_extra_dup",
	[DDNB_ST_TX_FATAL] = "tx_fatal",
	[DDNB_ST_TX_CSUM_ERR] = "tx_csum_errors",
	[DDNB_ST_TX_ALLOC_ERR] = "tx_alloc_errors",
	[DDNB_ST_TX_MCAST] = "tx_mcast_ignored",
	[DDNB_ST_RX_PACKETS] = "rx_packets",
	[DDNB_ST_RX_BYTES] = "rx_bytes",
	[DDNB_ST_RX_GCOPY_OPS] = "rx_grant_copy_ops",
	[DDNB_ST_RX_GCOPY_ERR] = "rx_grant_copy_errors",
	[DDNB_ST_RX_RING_FULL] = "rx_ring_full",
	[DDNB_ST_RX_QUEUE_FULL] = "rx_queue_full",
	[DDNB_ST_RX_STALL_DROPS] = "rx_stall_drops",
	[DDNB_ST_RX_OVERSIZE] = "rx_oversize_drops",
	[DDNB_ST_RX_DOWN_DROPS] = "rx_down_drops",
	[DDNB_ST_DISCONNECTS] = "disconnects",
};

/**
 * ddnb_counters_init() - initialise a zeroed counter set
 * @c: counters
 */
void ddnb_counters_init(struct ddnb_counters *c)
{
	u64_stats_init(&c->syncp);
}

static void ddnb_counters_add(const struct ddnb_counters *c, u64 *out)
{
	u64 v[DDNB_ST_NR];
	unsigned int start, i;

	do {
		start = u64_stats_fetch_begin(&c->syncp);
		for (i = 0; i < DDNB_ST_NR; i++)
			v[i] = u64_stats_read(&c->v[i]);
	} while (u64_stats_fetch_retry(&c->syncp, start));
	for (i = 0; i < DDNB_ST_NR; i++)
		out[i] += v[i];
}

static void ddnb_stats_fold(struct ddnb_vif *vif, u64 *out)
{
	unsigned int i;

	memset(out, 0, DDNB_ST_NR * sizeof(*out));
	for (i = 0; i < vif->max_queues; i++) {
		struct ddnb_queue *q = &vif->queues[i];

		ddnb_counters_add(&q->txc, out);
		ddnb_counters_add(&q->rxc, out);
		out[DDNB_ST_RX_QUEUE_FULL] += atomic64_read(&q->rx_queue_full);
		out[DDNB_ST_RX_DOWN_DROPS] += atomic64_read(&q->rx_down_drops);
	}
	out[DDNB_ST_DISCONNECTS] = atomic64_read(&vif->disconnects);
}

/**
 * ddnb_get_stats64() - ndo_get_stats64 of the vif netdev
 * @ndev: netdev
 * @s: filled in from the netdev's point of view: what the frontend
 *	transmits is received here and the other way round
 */
void ddnb_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *s)
{
	struct ddnb_vif *vif = netdev_priv(ndev);
	u64 v[DDNB_ST_NR];
	unsigned int i;

	ddnb_stats_fold(vif, v);
	s->rx_packets = v[DDNB_ST_TX_PACKETS];
	s->rx_bytes = v[DDNB_ST_TX_BYTES];
	s->tx_packets = v[DDNB_ST_RX_PACKETS];
	s->tx_bytes = v[DDNB_ST_RX_BYTES];
	for (i = DDNB_ST_TX_BAD_SIZE; i <= DDNB_ST_TX_BAD_EXTRA_DUP; i++)
		s->rx_errors += v[i];
	s->rx_errors += v[DDNB_ST_TX_GCOPY_ERR] + v[DDNB_ST_TX_CSUM_ERR];
	s->rx_dropped = v[DDNB_ST_TX_ALLOC_ERR];
	s->tx_errors = v[DDNB_ST_RX_GCOPY_ERR];
	s->tx_dropped = v[DDNB_ST_RX_QUEUE_FULL] + v[DDNB_ST_RX_STALL_DROPS] +
			v[DDNB_ST_RX_OVERSIZE] + v[DDNB_ST_RX_DOWN_DROPS];
}

static void ddnb_get_drvinfo(struct net_device *ndev, struct ethtool_drvinfo *info)
{
	struct ddnb_vif *vif = netdev_priv(ndev);

	strscpy(info->driver, DDNB_NAME, sizeof(info->driver));
	strscpy(info->bus_info, dev_name(&vif->dev->dev), sizeof(info->bus_info));
}

static int ddnb_get_sset_count(struct net_device *ndev, int sset)
{
	return sset == ETH_SS_STATS ? DDNB_ST_NR : -EOPNOTSUPP;
}

static void ddnb_get_strings(struct net_device *ndev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, ddnb_stat_names, sizeof(ddnb_stat_names));
}

static void ddnb_get_ethtool_stats(struct net_device *ndev,
				   struct ethtool_stats *stats, u64 *data)
{
	ddnb_stats_fold(netdev_priv(ndev), data);
}

const struct ethtool_ops ddnb_ethtool_ops = {
	.get_drvinfo = ddnb_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = ddnb_get_sset_count,
	.get_strings = ddnb_get_strings,
	.get_ethtool_stats = ddnb_get_ethtool_stats,
};
