// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkback: statistics under /sys/bus/xen-backend/devices/vbd-D-N/statistics.
 */
#include <linux/device.h>
#include <linux/sysfs.h>
#include "common.h"

/**
 * ddbb_stats_accumulate() - add one set of counters to another
 * @to: sum
 * @from: addend
 */
void ddbb_stats_accumulate(struct ddbb_stats *to, const struct ddbb_stats *from)
{
	to->rd_req += READ_ONCE(from->rd_req);
	to->wr_req += READ_ONCE(from->wr_req);
	to->f_req += READ_ONCE(from->f_req);
	to->ds_req += READ_ONCE(from->ds_req);
	to->oo_req += READ_ONCE(from->oo_req);
	to->errors += READ_ONCE(from->errors);
	to->bad_req += READ_ONCE(from->bad_req);
	to->cutoffs += READ_ONCE(from->cutoffs);
	to->rd_sect += READ_ONCE(from->rd_sect);
	to->wr_sect += READ_ONCE(from->wr_sect);
}

static void ddbb_stats_sum(struct device *d, struct ddbb_stats *st, u64 *pgrants,
			   u64 *inflight)
{
	struct ddbb_blkif *blkif = dev_get_drvdata(d);
	unsigned int i;

	memset(st, 0, sizeof(*st));
	*pgrants = 0;
	*inflight = 0;
	if (!blkif)
		return;
	mutex_lock(&blkif->lock);
	ddbb_stats_accumulate(st, &blkif->st_closed);
	for (i = 0; i < blkif->nr_rings; i++) {
		ddbb_stats_accumulate(st, &blkif->rings[i].st);
		*pgrants += READ_ONCE(blkif->rings[i].pg_count);
		*inflight += atomic_read(&blkif->rings[i].inflight);
	}
	mutex_unlock(&blkif->lock);
}

#define DDBB_STAT(name)							\
static ssize_t name##_show(struct device *d, struct device_attribute *a, \
			   char *buf)					\
{									\
	struct ddbb_stats st;						\
	u64 pg, fl;							\
									\
	ddbb_stats_sum(d, &st, &pg, &fl);				\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)st.name);	\
}									\
static DEVICE_ATTR_RO(name)

DDBB_STAT(rd_req);
DDBB_STAT(wr_req);
DDBB_STAT(f_req);
DDBB_STAT(ds_req);
DDBB_STAT(oo_req);
DDBB_STAT(errors);
DDBB_STAT(bad_req);
DDBB_STAT(cutoffs);
DDBB_STAT(rd_sect);
DDBB_STAT(wr_sect);

static ssize_t persistent_grants_show(struct device *d,
				      struct device_attribute *a, char *buf)
{
	struct ddbb_stats st;
	u64 pg, fl;

	ddbb_stats_sum(d, &st, &pg, &fl);
	return sysfs_emit(buf, "%llu\n", (unsigned long long)pg);
}
static DEVICE_ATTR_RO(persistent_grants);

static ssize_t inflight_show(struct device *d, struct device_attribute *a,
			     char *buf)
{
	struct ddbb_stats st;
	u64 pg, fl;

	ddbb_stats_sum(d, &st, &pg, &fl);
	return sysfs_emit(buf, "%llu\n", (unsigned long long)fl);
}
static DEVICE_ATTR_RO(inflight);

static ssize_t rings_show(struct device *d, struct device_attribute *a, char *buf)
{
	struct ddbb_blkif *blkif = dev_get_drvdata(d);

	return sysfs_emit(buf, "%u order %u%s\n", READ_ONCE(blkif->nr_rings),
			  READ_ONCE(blkif->ring_order),
			  READ_ONCE(blkif->persistent) ? " persistent" : "");
}
static DEVICE_ATTR_RO(rings);

static struct attribute *ddbb_stat_attrs[] = {
	&dev_attr_rd_req.attr,
	&dev_attr_wr_req.attr,
	&dev_attr_f_req.attr,
	&dev_attr_ds_req.attr,
	&dev_attr_oo_req.attr,
	&dev_attr_errors.attr,
	&dev_attr_bad_req.attr,
	&dev_attr_cutoffs.attr,
	&dev_attr_rd_sect.attr,
	&dev_attr_wr_sect.attr,
	&dev_attr_persistent_grants.attr,
	&dev_attr_inflight.attr,
	&dev_attr_rings.attr,
	NULL,
};

static const struct attribute_group ddbb_stat_group = {
	.name = "statistics",
	.attrs = ddbb_stat_attrs,
};

static ssize_t physical_device_show(struct device *d, struct device_attribute *a,
				    char *buf)
{
	struct ddbb_blkif *blkif = dev_get_drvdata(d);
	ssize_t n;

	mutex_lock(&blkif->lock);
	if (blkif->bdev)
		n = sysfs_emit(buf, "%x:%x\n", MAJOR(blkif->devt), MINOR(blkif->devt));
	else
		n = sysfs_emit(buf, "none\n");
	mutex_unlock(&blkif->lock);
	return n;
}
static DEVICE_ATTR_RO(physical_device);

static ssize_t mode_show(struct device *d, struct device_attribute *a, char *buf)
{
	struct ddbb_blkif *blkif = dev_get_drvdata(d);

	return sysfs_emit(buf, "%s\n", READ_ONCE(blkif->readonly) ? "r" : "w");
}
static DEVICE_ATTR_RO(mode);

static struct attribute *ddbb_dev_attrs[] = {
	&dev_attr_physical_device.attr,
	&dev_attr_mode.attr,
	NULL,
};

static const struct attribute_group ddbb_dev_group = {
	.attrs = ddbb_dev_attrs,
};

/**
 * ddbb_stats_add() - create the statistics directory and device attributes
 * @blkif: device (drvdata of its xenbus device already set)
 *
 * Return: 0 or a negative errno.
 */
int ddbb_stats_add(struct ddbb_blkif *blkif)
{
	int err;

	err = sysfs_create_group(&blkif->dev->dev.kobj, &ddbb_stat_group);
	if (err)
		return err;
	err = sysfs_create_group(&blkif->dev->dev.kobj, &ddbb_dev_group);
	if (err)
		sysfs_remove_group(&blkif->dev->dev.kobj, &ddbb_stat_group);
	return err;
}

/**
 * ddbb_stats_remove() - remove the statistics directory
 * @blkif: device
 *
 * Must be called without @blkif->lock held: readers take it.
 */
void ddbb_stats_remove(struct ddbb_blkif *blkif)
{
	sysfs_remove_group(&blkif->dev->dev.kobj, &ddbb_dev_group);
	sysfs_remove_group(&blkif->dev->dev.kobj, &ddbb_stat_group);
}
