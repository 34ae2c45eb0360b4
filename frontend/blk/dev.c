// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkfront: /dev/xvdX disks on major 202.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/hdreg.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "common.h"

struct ddbf_minors {
	struct list_head node;
	unsigned int first;
	unsigned int nr;
};

static DEFINE_MUTEX(ddbf_minor_lock);
static LIST_HEAD(ddbf_minor_list);

/**
 * ddbf_reserve_minors() - claim the minors of a virtual device
 * @info: device with @info->vdev decoded
 *
 * Return: 0, -EBUSY if another device overlaps, or -ENOMEM.
 */
int ddbf_reserve_minors(struct ddbf_info *info)
{
	unsigned int first = info->vdev.minor, nr = info->vdev.nr_minors;
	struct ddbf_minors *m, *n;
	int err = 0;

	n = kmalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	n->first = first;
	n->nr = nr;
	mutex_lock(&ddbf_minor_lock);
	list_for_each_entry(m, &ddbf_minor_list, node) {
		if (first < m->first + m->nr && m->first < first + nr) {
			err = -EBUSY;
			break;
		}
	}
	if (!err) {
		list_add(&n->node, &ddbf_minor_list);
		info->minors_reserved = true;
	}
	mutex_unlock(&ddbf_minor_lock);
	if (err)
		kfree(n);
	return err;
}

/**
 * ddbf_release_minors() - give back the minors of a virtual device
 * @info: device
 */
void ddbf_release_minors(struct ddbf_info *info)
{
	struct ddbf_minors *m;

	if (!info->minors_reserved)
		return;
	mutex_lock(&ddbf_minor_lock);
	list_for_each_entry(m, &ddbf_minor_list, node) {
		if (m->first == info->vdev.minor) {
			list_del(&m->node);
			kfree(m);
			break;
		}
	}
	mutex_unlock(&ddbf_minor_lock);
	info->minors_reserved = false;
}

/* The block major the disks live on: 202 ("xvd"), or a dynamic one. */
static int ddbf_major = DDBF_MAJOR;

/**
 * ddbf_register() - claim block major 202 ("xvd"), or a dynamic major
 *
 * Major 202 is the xvd major every Xen guest expects. When another Xen block
 * frontend already holds it (a guest whose boot disks stay on xen-blkfront),
 * ddblkfront takes a dynamic major instead: the disks keep their xvdX names.
 *
 * Return: 0 or a negative errno.
 */
int ddbf_register(void)
{
	int ret = register_blkdev(DDBF_MAJOR, "xvd");

	if (!ret)
		return 0;
	ret = register_blkdev(0, DDBF_NAME);
	if (ret < 0) {
		pr_err(DDBF_NAME ": no block major available: %d\n", ret);
		return ret;
	}
	ddbf_major = ret;
	pr_info(DDBF_NAME ": major %d is taken (xen-blkfront?), using major %d\n",
		DDBF_MAJOR, ddbf_major);
	return 0;
}

/**
 * ddbf_unregister() - release the block major taken by ddbf_register()
 */
void ddbf_unregister(void)
{
	unregister_blkdev(ddbf_major, ddbf_major == DDBF_MAJOR ? "xvd" : DDBF_NAME);
}

static int ddbf_getgeo(struct block_device *bdev, struct hd_geometry *hg)
{
	sector_t nsect = get_capacity(bdev->bd_disk);
	sector_t cylinders = nsect;

	hg->heads = 0xff;
	hg->sectors = 0x3f;
	sector_div(cylinders, hg->heads * hg->sectors);
	hg->cylinders = cylinders;
	if ((sector_t)(hg->cylinders + 1) * hg->heads * hg->sectors < nsect)
		hg->cylinders = 0xffff;
	return 0;
}

static const struct block_device_operations ddbf_fops = {
	.owner = THIS_MODULE,
	.getgeo = ddbf_getgeo,
};

static int ddbf_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			  unsigned int index)
{
	/* the ring is picked per request: a reconnect may bring fewer rings */
	hctx->driver_data = data;
	return 0;
}

static const struct blk_mq_ops ddbf_mq_ops = {
	.queue_rq = ddbf_queue_rq,
	.complete = ddbf_complete_rq,
	.init_hctx = ddbf_init_hctx,
};

/**
 * ddbf_disk_flush_changed() - tell the block layer about flush/FUA support
 * @info: device with a disk
 */
void ddbf_disk_flush_changed(struct ddbf_info *info)
{
	blk_queue_write_cache(info->gd->queue, info->flush_op != 0, info->fua);
}

static void ddbf_set_limits(struct ddbf_info *info, struct request_queue *q)
{
	unsigned int segs = info->max_indirect ?: BLKIF_MAX_SEGMENTS_PER_REQUEST;

	blk_queue_flag_set(QUEUE_FLAG_VIRT, q);
	if (info->discard) {
		blk_queue_max_discard_sectors(q, UINT_MAX >> SECTOR_SHIFT);
		q->limits.discard_granularity = info->discard_granularity ?:
						info->physical_sector_size;
		q->limits.discard_alignment = info->discard_alignment;
		if (info->secure_discard)
			blk_queue_max_secure_erase_sectors(q, UINT_MAX >> SECTOR_SHIFT);
	}
	blk_queue_logical_block_size(q, info->sector_size);
	blk_queue_physical_block_size(q, info->physical_sector_size);
	blk_queue_max_hw_sectors(q, segs * (PAGE_SIZE >> SECTOR_SHIFT));
	/* One segment is at most one granted page. */
	blk_queue_segment_boundary(q, PAGE_SIZE - 1);
	blk_queue_max_segment_size(q, PAGE_SIZE);
	blk_queue_max_segments(q, segs);
	/* Sector fields: buffers must be 512-byte aligned. */
	blk_queue_dma_alignment(q, 511);
}

/**
 * ddbf_disk_create() - create and add /dev/xvdX
 * @info: connected device
 *
 * Return: 0 or a negative errno.
 */
int ddbf_disk_create(struct ddbf_info *info)
{
	struct blk_mq_tag_set *set = &info->tag_set;
	struct gendisk *gd;
	int err;

	memset(set, 0, sizeof(*set));
	set->ops = &ddbf_mq_ops;
	set->nr_hw_queues = info->nr_rings;
	set->queue_depth = info->rings[0].size;
	set->numa_node = NUMA_NO_NODE;
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	set->cmd_size = sizeof(struct ddbf_rq);
	set->driver_data = info;
	err = blk_mq_alloc_tag_set(set);
	if (err)
		return err;

	gd = blk_mq_alloc_disk(set, info);
	if (IS_ERR(gd)) {
		err = PTR_ERR(gd);
		goto fail_set;
	}
	err = ddblk_vdev_name(gd->disk_name, DISK_NAME_LEN, &info->vdev);
	if (err)
		goto fail_disk;
	gd->major = ddbf_major;
	gd->first_minor = info->vdev.minor;
	gd->minors = info->vdev.nr_minors;
	gd->fops = &ddbf_fops;
	gd->private_data = info;
	set_capacity(gd, info->sectors);
	ddbf_set_limits(info, gd->queue);
	info->gd = gd;
	ddbf_disk_flush_changed(info);
	if (info->vdisk_info & VDISK_READONLY)
		set_disk_ro(gd, true);
	if (info->vdisk_info & (VDISK_REMOVABLE | VDISK_CDROM))
		gd->flags |= GENHD_FL_REMOVABLE;

	err = device_add_disk(&info->xbdev->dev, gd, NULL);
	if (err) {
		info->gd = NULL;
		goto fail_disk;
	}
	return 0;

fail_disk:
	put_disk(gd);
fail_set:
	blk_mq_free_tag_set(set);
	return err;
}

/**
 * ddbf_disk_destroy() - remove /dev/xvdX
 * @info: device; no-op without a disk
 */
void ddbf_disk_destroy(struct ddbf_info *info)
{
	if (!info->gd)
		return;
	del_gendisk(info->gd);
	put_disk(info->gd);
	blk_mq_free_tag_set(&info->tag_set);
	info->gd = NULL;
}
