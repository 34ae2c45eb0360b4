// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetfront: counters, for ethtool -S and ndo_get_stats64.
 *
 * Per queue counters live as long as the net_device (the queue array is
 * allocated at probe), so they add up over reconnects and can be read at
 * any time; each is read under its u64_stats_sync.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include "common.h"

struct ddnf_stat_desc {
	const char *name;
	size_t off;
	bool rx;
};

#define DDNF_QS(n, rx)	{ #n, offsetof(struct ddnf_qstats, n), rx }

/* Per queue counters, in ethtool -S order; rx: guarded by rx_syncp. */
static const struct ddnf_stat_desc ddnf_qstat_desc[] = {
	DDNF_QS(tx_packets, false),
	DDNF_QS(tx_bytes, false),
	DDNF_QS(tx_linearized, false),
	DDNF_QS(tx_dropped_slots, false),
	DDNF_QS(tx_dropped, false),
	DDNF_QS(tx_ring_full, false),
	DDNF_QS(tx_rsp_error, false),
	DDNF_QS(tx_bad_id, false),
	DDNF_QS(tx_not_pending, false),
	DDNF_QS(tx_bad_status, false),
	DDNF_QS(rx_packets, true),
	DDNF_QS(rx_bytes, true),
	DDNF_QS(rx_dropped, true),
	DDNF_QS(rx_bad_id, true),
	DDNF_QS(rx_bad_offset, true),
	DDNF_QS(rx_bad_flags, true),
	DDNF_QS(rx_bad_status, true),
	DDNF_QS(rx_bad_extra, true),
	DDNF_QS(rx_too_long, true),
	DDNF_QS(rx_error_status, true),
	DDNF_QS(rx_runt, true),
	DDNF_QS(rx_csum_fixup, true),
	DDNF_QS(rx_refill_failed, true),
};

#define QS_NR	ARRAY_SIZE(ddnf_qstat_desc)

/* Device-wide values after the per queue sums. */
enum { DS_TX_BAD_RSP, DS_GRANTS_LEAKED, DS_RECONNECTS, DS_BAD_RSP, DS_BROKEN,
	DS_QUEUES, DS_SPURIOUS, DS_NR };

static const char * const ddnf_dstat_names[DS_NR] = {
	[DS_TX_BAD_RSP] = "tx_bad_rsp",
	[DS_GRANTS_LEAKED] = "grants_leaked",
	[DS_RECONNECTS] = "backend_reconnects",
	[DS_BAD_RSP] = "bad_rsp_this_connection",
	[DS_BROKEN] = "broken",
	[DS_QUEUES] = "queues",
	[DS_SPURIOUS] = "spurious_events",
};

static u64 *ddnf_qs_field(struct ddnf_qstats *st, unsigned int k)
{
	return (u64 *)((char *)st + ddnf_qstat_desc[k].off);
}

/* Sum the counters of every allocated queue into @sum (syncps unused). */
static void ddnf_qstats_sum(struct ddnf_info *info, struct ddnf_qstats *sum)
{
	const struct u64_stats_sync *sync;
	struct ddnf_queue *q;
	unsigned int i, k, start;
	u64 x;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < info->nr_alloc; i++) {
		q = &info->queues[i];
		for (k = 0; k < QS_NR; k++) {
			sync = ddnf_qstat_desc[k].rx ? &q->st.rx_syncp : &q->st.tx_syncp;
			do {
				start = u64_stats_fetch_begin(sync);
				x = READ_ONCE(*ddnf_qs_field(&q->st, k));
			} while (u64_stats_fetch_retry(sync, start));
			*ddnf_qs_field(sum, k) += x;
		}
	}
}

/**
 * ddnf_get_stats64() - ndo_get_stats64
 * @dev: net_device
 * @tot: filled in
 */
void ddnf_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *tot)
{
	struct ddnf_info *info = netdev_priv(dev);
	struct ddnf_qstats v;

	ddnf_qstats_sum(info, &v);
	tot->tx_packets = v.tx_packets;
	tot->tx_bytes = v.tx_bytes;
	tot->tx_dropped = v.tx_dropped + v.tx_dropped_slots;
	tot->tx_errors = v.tx_rsp_error;
	tot->rx_packets = v.rx_packets;
	tot->rx_bytes = v.rx_bytes;
	tot->rx_dropped = v.rx_dropped;
	tot->rx_errors = v.rx_bad_id + v.rx_bad_offset + v.rx_bad_flags + v.rx_bad_status +
			 v.rx_bad_extra + v.rx_too_long + v.rx_error_status;
	tot->rx_length_errors = v.rx_too_long + v.rx_runt;
}

static void ddnf_get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *di)
{
	struct ddnf_info *info = netdev_priv(dev);

	strscpy(di->driver, DDNF_NAME, sizeof(di->driver));
	strscpy(di->bus_info, dev_name(&info->xbdev->dev), sizeof(di->bus_info));
}

static int ddnf_get_sset_count(struct net_device *dev, int sset)
{
	if (sset == ETH_SS_STATS)
		return QS_NR + DS_NR;
	return -EOPNOTSUPP;
}

static void ddnf_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	unsigned int i;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < QS_NR; i++)
		ethtool_sprintf(&data, "%s", ddnf_qstat_desc[i].name);
	for (i = 0; i < DS_NR; i++)
		ethtool_sprintf(&data, "%s", ddnf_dstat_names[i]);
}

static void ddnf_get_ethtool_stats(struct net_device *dev,
				   struct ethtool_stats *es, u64 *data)
{
	struct ddnf_info *info = netdev_priv(dev);
	u64 *d = data + QS_NR;
	struct ddnf_qstats v;
	unsigned int k;

	ddnf_qstats_sum(info, &v);
	for (k = 0; k < QS_NR; k++)
		data[k] = *ddnf_qs_field(&v, k);
	d[DS_TX_BAD_RSP] = v.tx_bad_id + v.tx_not_pending + v.tx_bad_status;
	d[DS_GRANTS_LEAKED] = atomic64_read(&info->grants_leaked);
	d[DS_RECONNECTS] = READ_ONCE(info->backend_reconnects);
	d[DS_BAD_RSP] = atomic_read(&info->bad_rsp);
	d[DS_BROKEN] = READ_ONCE(info->broken);
	d[DS_QUEUES] = READ_ONCE(info->nr_queues);
	d[DS_SPURIOUS] = atomic64_read(&info->spurious_events);
}

const struct ethtool_ops ddnf_ethtool_ops = {
	.get_drvinfo		= ddnf_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= ddnf_get_sset_count,
	.get_strings		= ddnf_get_strings,
	.get_ethtool_stats	= ddnf_get_ethtool_stats,
};
