// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkfront: statistics under /sys/bus/xen/devices/vbd-N/statistics.
 */
#include <linux/device.h>
#include <linux/sysfs.h>
#include "common.h"

/**
 * ddbf_stats_accumulate() - add one set of counters to another
 * @to: sum
 * @from: addend
 */
void ddbf_stats_accumulate(struct ddbf_stats *to, const struct ddbf_stats *from)
{
	to->rd_req += READ_ONCE(from->rd_req);
	to->wr_req += READ_ONCE(from->wr_req);
	to->f_req += READ_ONCE(from->f_req);
	to->ds_req += READ_ONCE(from->ds_req);
	to->errors += READ_ONCE(from->errors);
	to->rd_sect += READ_ONCE(from->rd_sect);
	to->wr_sect += READ_ONCE(from->wr_sect);
}

static struct ddbf_info *ddbf_sum(struct device *d, struct ddbf_stats *st,
				  u64 *pgrants, u64 *inflight)
{
	struct ddbf_info *info = dev_get_drvdata(d);
	unsigned int i, id;
	struct ddbf_ring *ring;

	memset(st, 0, sizeof(*st));
	*pgrants = 0;
	*inflight = 0;
	mutex_lock(&info->mutex);
	ddbf_stats_accumulate(st, &info->st_closed);
	for (i = 0; i < info->nr_rings; i++) {
		ring = &info->rings[i];
		ddbf_stats_accumulate(st, &ring->st);
		*pgrants += READ_ONCE(ring->gnt_count);
		if (!ring->inflight)
			continue;
		for (id = 0; id < ring->size; id++)
			*inflight += READ_ONCE(ring->inflight[id].busy);
	}
	mutex_unlock(&info->mutex);
	return info;
}

#define DDBF_STAT(name)							\
static ssize_t name##_show(struct device *d, struct device_attribute *a, \
			   char *buf)					\
{									\
	struct ddbf_stats st;						\
	u64 pg, fl;							\
									\
	ddbf_sum(d, &st, &pg, &fl);					\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)st.name);	\
}									\
static DEVICE_ATTR_RO(name)

DDBF_STAT(rd_req);
DDBF_STAT(wr_req);
DDBF_STAT(f_req);
DDBF_STAT(ds_req);
DDBF_STAT(errors);
DDBF_STAT(rd_sect);
DDBF_STAT(wr_sect);

static ssize_t persistent_grants_show(struct device *d,
				      struct device_attribute *a, char *buf)
{
	struct ddbf_stats st;
	u64 pg, fl;

	ddbf_sum(d, &st, &pg, &fl);
	return sysfs_emit(buf, "%llu\n", (unsigned long long)pg);
}
static DEVICE_ATTR_RO(persistent_grants);

static ssize_t inflight_show(struct device *d, struct device_attribute *a,
			     char *buf)
{
	struct ddbf_stats st;
	u64 pg, fl;

	ddbf_sum(d, &st, &pg, &fl);
	return sysfs_emit(buf, "%llu\n", (unsigned long long)fl);
}
static DEVICE_ATTR_RO(inflight);

static ssize_t state_show(struct device *d, struct device_attribute *a, char *buf)
{
	static const char * const names[] = {
		[DDBF_DISCONNECTED] = "disconnected",
		[DDBF_CONNECTED] = "connected",
		[DDBF_BROKEN] = "broken",
	};
	struct ddbf_info *info = dev_get_drvdata(d);
	int s = READ_ONCE(info->state);

	if (READ_ONCE(info->held))
		return sysfs_emit(buf, "held\n");
	return sysfs_emit(buf, "%s\n", s >= 0 && s < ARRAY_SIZE(names) ? names[s] : "?");
}
static DEVICE_ATTR_RO(state);

/* times a backend connected again after going away */
static ssize_t reconnects_show(struct device *d, struct device_attribute *a, char *buf)
{
	struct ddbf_info *info = dev_get_drvdata(d);

	return sysfs_emit(buf, "%u\n", READ_ONCE(info->reconnects));
}
static DEVICE_ATTR_RO(reconnects);

static ssize_t features_show(struct device *d, struct device_attribute *a, char *buf)
{
	struct ddbf_info *info = dev_get_drvdata(d);
	ssize_t n;

	mutex_lock(&info->mutex);
	n = sysfs_emit(buf, "rings %u order %u indirect %u persistent %u flush %u fua %u discard %u secure %u bounce %u\n",
		       info->nr_rings, info->ring_order, info->max_indirect,
		       info->persistent, info->flush_op, info->fua, info->discard,
		       info->secure_discard, info->bounce);
	mutex_unlock(&info->mutex);
	return n;
}
static DEVICE_ATTR_RO(features);

static struct attribute *ddbf_stat_attrs[] = {
	&dev_attr_rd_req.attr,
	&dev_attr_wr_req.attr,
	&dev_attr_f_req.attr,
	&dev_attr_ds_req.attr,
	&dev_attr_errors.attr,
	&dev_attr_rd_sect.attr,
	&dev_attr_wr_sect.attr,
	&dev_attr_persistent_grants.attr,
	&dev_attr_inflight.attr,
	&dev_attr_state.attr,
	&dev_attr_reconnects.attr,
	&dev_attr_features.attr,
	NULL,
};

static const struct attribute_group ddbf_stat_group = {
	.name = "statistics",
	.attrs = ddbf_stat_attrs,
};

/**
 * ddbf_stats_add() - create the statistics directory
 * @info: device (drvdata of its xenbus device already set)
 *
 * Return: 0 or a negative errno.
 */
int ddbf_stats_add(struct ddbf_info *info)
{
	return sysfs_create_group(&info->xbdev->dev.kobj, &ddbf_stat_group);
}

/**
 * ddbf_stats_remove() - remove the statistics directory
 * @info: device; call without @info->mutex held
 */
void ddbf_stats_remove(struct ddbf_info *info)
{
	sysfs_remove_group(&info->xbdev->dev.kobj, &ddbf_stat_group);
}
