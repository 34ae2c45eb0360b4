// SPDX-License-Identifier: GPL-2.0
/*
 * dddmapool: statistics, one value per file under /sys/kernel/dddmapool/
 * (plus "devices" and the write-only "reset_counters"), and all of them as
 * "key value" lines in /sys/kernel/debug/dddmapool/stats.  Writing N to
 * /sys/kernel/debug/dddmapool/hold_bytes keeps up to N bytes of the pool
 * from the devices (0 gives them back), to see how drivers meet a pool
 * that runs out under load.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/seq_file.h>
#include <linux/sysfs.h>

#include "dddmapool.h"

struct ddp_stats ddp_stats;

static struct kobject *ddp_kobj;
static struct dentry *ddp_debugfs;

/* Order of the debugfs lines and of the sysfs attributes below. */
enum ddp_key {
	DDP_POOL_BYTES,
	DDP_FREE_BYTES,
	DDP_CHUNKS,
	DDP_DIRECT_MAPS,
	DDP_DIRECT_BYTES,
	DDP_BOUNCE_MAPS,
	DDP_BOUNCE_BYTES,
	DDP_ALLOC_FAILURES,
	DDP_MAP_FAILURES,
	DDP_COHERENT_ALLOCS_LIVE,
	DDP_BOUNCES_LIVE,
	DDP_BUILD_FAILURES,
	DDP_LOWMEM_MOVED_BYTES,
	DDP_LOWMEM_ALREADY_BYTES,
	DDP_LOWMEM_BUSY_BYTES,
	DDP_REUSED_BYTES,
	DDP_BOUNCE_ABOVE_MASK,
	DDP_BOUNCE_SCATTERED,
	DDP_HELD_BYTES,
	DDP_FREE_ABOVE_LIMIT_BYTES,
	DDP_NR_KEYS,
};

static const char *const ddp_key_names[DDP_NR_KEYS] = {
	[DDP_POOL_BYTES] = "pool_bytes",
	[DDP_FREE_BYTES] = "free_bytes",
	[DDP_CHUNKS] = "chunks",
	[DDP_DIRECT_MAPS] = "direct_maps",
	[DDP_DIRECT_BYTES] = "direct_bytes",
	[DDP_BOUNCE_MAPS] = "bounce_maps",
	[DDP_BOUNCE_BYTES] = "bounce_bytes",
	[DDP_ALLOC_FAILURES] = "alloc_failures",
	[DDP_MAP_FAILURES] = "map_failures",
	[DDP_COHERENT_ALLOCS_LIVE] = "coherent_allocs_live",
	[DDP_BOUNCES_LIVE] = "bounces_live",
	[DDP_BUILD_FAILURES] = "build_failures",
	[DDP_LOWMEM_MOVED_BYTES] = "lowmem_moved_bytes",
	[DDP_LOWMEM_ALREADY_BYTES] = "lowmem_already_bytes",
	[DDP_LOWMEM_BUSY_BYTES] = "lowmem_busy_bytes",
	[DDP_REUSED_BYTES] = "reused_bytes",
	[DDP_BOUNCE_ABOVE_MASK] = "bounce_above_mask",
	[DDP_BOUNCE_SCATTERED] = "bounce_scattered",
	[DDP_HELD_BYTES] = "held_bytes",
	[DDP_FREE_ABOVE_LIMIT_BYTES] = "free_above_limit_bytes",
};

static u64 ddp_value(enum ddp_key k)
{
	switch (k) {
	case DDP_POOL_BYTES:
		return ddp_pool_bytes();
	case DDP_FREE_BYTES:
		return ddp_pool_free_bytes();
	case DDP_CHUNKS:
		return ddp_pool_chunks();
	case DDP_DIRECT_MAPS:
		return atomic64_read(&ddp_stats.direct_maps);
	case DDP_DIRECT_BYTES:
		return atomic64_read(&ddp_stats.direct_bytes);
	case DDP_BOUNCE_MAPS:
		return atomic64_read(&ddp_stats.bounce_maps);
	case DDP_BOUNCE_BYTES:
		return atomic64_read(&ddp_stats.bounce_bytes);
	case DDP_ALLOC_FAILURES:
		return atomic64_read(&ddp_stats.alloc_failures);
	case DDP_MAP_FAILURES:
		return atomic64_read(&ddp_stats.map_failures);
	case DDP_COHERENT_ALLOCS_LIVE:
		return atomic64_read(&ddp_stats.coherent_allocs_live);
	case DDP_BOUNCES_LIVE:
		return atomic64_read(&ddp_stats.bounces_live);
	case DDP_BUILD_FAILURES:
		return atomic64_read(&ddp_stats.build_failures);
	case DDP_LOWMEM_MOVED_BYTES:
		return atomic64_read(&ddp_stats.lowmem_moved_bytes);
	case DDP_LOWMEM_ALREADY_BYTES:
		return atomic64_read(&ddp_stats.lowmem_already_bytes);
	case DDP_LOWMEM_BUSY_BYTES:
		return atomic64_read(&ddp_stats.lowmem_busy_bytes);
	case DDP_REUSED_BYTES:
		return atomic64_read(&ddp_stats.reused_bytes);
	case DDP_BOUNCE_ABOVE_MASK:
		return atomic64_read(&ddp_stats.bounce_above_mask);
	case DDP_BOUNCE_SCATTERED:
		return atomic64_read(&ddp_stats.bounce_scattered);
	case DDP_HELD_BYTES:
		return ddp_pool_held();
	case DDP_FREE_ABOVE_LIMIT_BYTES:
		return ddp_free_above() << PAGE_SHIFT;
	default:
		return 0;
	}
}

/**
 * ddp_stats_reset() - zero the mapping counters
 *
 * direct_maps, direct_bytes, bounce_maps, bounce_bytes, bounce_above_mask,
 * bounce_scattered, alloc_failures and map_failures; the live counts and
 * the pool's figures stay.
 */
void ddp_stats_reset(void)
{
	atomic64_set(&ddp_stats.direct_maps, 0);
	atomic64_set(&ddp_stats.direct_bytes, 0);
	atomic64_set(&ddp_stats.bounce_maps, 0);
	atomic64_set(&ddp_stats.bounce_bytes, 0);
	atomic64_set(&ddp_stats.bounce_above_mask, 0);
	atomic64_set(&ddp_stats.bounce_scattered, 0);
	atomic64_set(&ddp_stats.alloc_failures, 0);
	atomic64_set(&ddp_stats.map_failures, 0);
}

struct ddp_attr {
	struct kobj_attribute attr;
	enum ddp_key key;
};

static ssize_t ddp_attr_show(struct kobject *kobj, struct kobj_attribute *a,
			     char *buf)
{
	const struct ddp_attr *da = container_of(a, struct ddp_attr, attr);

	return sysfs_emit(buf, "%llu\n", ddp_value(da->key));
}

#define DDP_ATTR(_name, _key)						\
static struct ddp_attr ddp_attr_##_name = {				\
	.attr = __ATTR(_name, 0444, ddp_attr_show, NULL),		\
	.key = _key,							\
}

DDP_ATTR(pool_bytes, DDP_POOL_BYTES);
DDP_ATTR(free_bytes, DDP_FREE_BYTES);
DDP_ATTR(chunks, DDP_CHUNKS);
DDP_ATTR(direct_maps, DDP_DIRECT_MAPS);
DDP_ATTR(direct_bytes, DDP_DIRECT_BYTES);
DDP_ATTR(bounce_maps, DDP_BOUNCE_MAPS);
DDP_ATTR(bounce_bytes, DDP_BOUNCE_BYTES);
DDP_ATTR(alloc_failures, DDP_ALLOC_FAILURES);
DDP_ATTR(map_failures, DDP_MAP_FAILURES);
DDP_ATTR(coherent_allocs_live, DDP_COHERENT_ALLOCS_LIVE);
DDP_ATTR(bounces_live, DDP_BOUNCES_LIVE);
DDP_ATTR(build_failures, DDP_BUILD_FAILURES);
DDP_ATTR(lowmem_moved_bytes, DDP_LOWMEM_MOVED_BYTES);
DDP_ATTR(lowmem_already_bytes, DDP_LOWMEM_ALREADY_BYTES);
DDP_ATTR(lowmem_busy_bytes, DDP_LOWMEM_BUSY_BYTES);
DDP_ATTR(reused_bytes, DDP_REUSED_BYTES);
DDP_ATTR(bounce_above_mask, DDP_BOUNCE_ABOVE_MASK);
DDP_ATTR(bounce_scattered, DDP_BOUNCE_SCATTERED);
DDP_ATTR(held_bytes, DDP_HELD_BYTES);
DDP_ATTR(free_above_limit_bytes, DDP_FREE_ABOVE_LIMIT_BYTES);

static ssize_t devices_show(struct kobject *kobj, struct kobj_attribute *a,
			    char *buf)
{
	return ddp_attach_list(buf);
}

static ssize_t reset_counters_store(struct kobject *kobj,
				    struct kobj_attribute *a, const char *buf,
				    size_t count)
{
	unsigned long v;
	int rc;

	rc = kstrtoul(buf, 0, &v);
	if (rc)
		return rc;
	if (v)
		return -EINVAL;
	ddp_stats_reset();
	return count;
}

static struct kobj_attribute ddp_attr_devices = __ATTR_RO(devices);
static struct kobj_attribute ddp_attr_reset_counters =
	__ATTR_WO(reset_counters);

static struct attribute *ddp_attrs[] = {
	&ddp_attr_pool_bytes.attr.attr,
	&ddp_attr_free_bytes.attr.attr,
	&ddp_attr_chunks.attr.attr,
	&ddp_attr_direct_maps.attr.attr,
	&ddp_attr_direct_bytes.attr.attr,
	&ddp_attr_bounce_maps.attr.attr,
	&ddp_attr_bounce_bytes.attr.attr,
	&ddp_attr_alloc_failures.attr.attr,
	&ddp_attr_map_failures.attr.attr,
	&ddp_attr_coherent_allocs_live.attr.attr,
	&ddp_attr_bounces_live.attr.attr,
	&ddp_attr_build_failures.attr.attr,
	&ddp_attr_lowmem_moved_bytes.attr.attr,
	&ddp_attr_lowmem_already_bytes.attr.attr,
	&ddp_attr_lowmem_busy_bytes.attr.attr,
	&ddp_attr_reused_bytes.attr.attr,
	&ddp_attr_bounce_above_mask.attr.attr,
	&ddp_attr_bounce_scattered.attr.attr,
	&ddp_attr_held_bytes.attr.attr,
	&ddp_attr_free_above_limit_bytes.attr.attr,
	&ddp_attr_devices.attr,
	&ddp_attr_reset_counters.attr,
	NULL,
};

static const struct attribute_group ddp_group = {
	.attrs = ddp_attrs,
};

static int ddp_stats_seq_show(struct seq_file *m, void *v)
{
	int k;

	for (k = 0; k < DDP_NR_KEYS; k++)
		seq_printf(m, "%s %llu\n", ddp_key_names[k], ddp_value(k));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ddp_stats_seq);

/* hold_bytes: pool space kept from the devices, to test exhaustion. */
static int ddp_hold_get(void *data, u64 *val)
{
	*val = ddp_pool_held();
	return 0;
}

static int ddp_hold_set(void *data, u64 val)
{
	u64 got = ddp_pool_hold(val);

	pr_info("holding %llu of the pool's bytes away from the devices (%llu asked)\n",
		got, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(ddp_hold_fops, ddp_hold_get, ddp_hold_set, "%llu\n");

/**
 * ddp_stats_start() - create /sys/kernel/dddmapool and the debugfs file
 *
 * Return: 0 or a negative errno (not for the debugfs file, which is
 * optional).
 */
int ddp_stats_start(void)
{
	int rc;

	ddp_kobj = kobject_create_and_add(DDP_NAME, kernel_kobj);
	if (!ddp_kobj)
		return -ENOMEM;
	rc = sysfs_create_group(ddp_kobj, &ddp_group);
	if (rc) {
		kobject_put(ddp_kobj);
		ddp_kobj = NULL;
		return rc;
	}
	ddp_debugfs = debugfs_create_dir(DDP_NAME, NULL);
	debugfs_create_file("stats", 0444, ddp_debugfs, NULL,
			    &ddp_stats_seq_fops);
	debugfs_create_file_unsafe("hold_bytes", 0600, ddp_debugfs, NULL,
				   &ddp_hold_fops);
	return 0;
}

/**
 * ddp_stats_stop() - remove the sysfs directory and the debugfs file
 */
void ddp_stats_stop(void)
{
	debugfs_remove(ddp_debugfs);
	ddp_debugfs = NULL;
	if (ddp_kobj) {
		sysfs_remove_group(ddp_kobj, &ddp_group);
		kobject_put(ddp_kobj);
		ddp_kobj = NULL;
	}
}
