// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkback: the block device behind a virtual disk.
 */
#include <linux/blkdev.h>
#include <linux/workqueue.h>
#include "common.h"

/**
 * ddbb_dev_open() - open the device named by physical-device
 * @blkif: device; @readonly and @cdrom already set from xenstore
 * @major: major number
 * @minor: minor number
 *
 * Fills @blkif->lim and @blkif->sectors from the device.
 *
 * Return: 0 or a negative errno.
 */
int ddbb_dev_open(struct ddbb_blkif *blkif, unsigned int major,
		  unsigned int minor)
{
	struct block_device *bdev;
	struct ddblk_limits *lim = &blkif->lim;
	fmode_t mode = FMODE_READ;
	bool discard;

	if (!blkif->readonly)
		mode |= FMODE_WRITE;
	bdev = blkdev_get_by_dev(MKDEV(major, minor), mode, NULL);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	blkif->bdev = bdev;
	blkif->devt = MKDEV(major, minor);
	blkif->mode = mode;
	if (bdev_read_only(bdev))
		blkif->readonly = true;
	blkif->removable = blkif->cdrom ||
		(bdev->bd_disk->flags & GENHD_FL_REMOVABLE);

	memset(lim, 0, sizeof(*lim));
	lim->dev_sectors = bdev_nr_sectors(bdev);
	lim->max_indirect_segs = ddbb_max_indirect_segments;
	lim->align_sectors = bdev_logical_block_size(bdev) >> SECTOR_SHIFT;
	lim->read_only = blkif->readonly;
	lim->flush = !blkif->readonly;
	lim->barrier = !blkif->readonly;
	discard = !blkif->readonly && bdev_max_discard_sectors(bdev) &&
		xenbus_read_unsigned(blkif->dev->nodename, "discard-enable", 1);
	lim->discard = discard;
	lim->discard_secure = discard && bdev_max_secure_erase_sectors(bdev);
	blkif->sectors = lim->dev_sectors;
	return 0;
}

/**
 * ddbb_dev_close() - release the backing device
 * @blkif: device; no-op if nothing is open
 */
void ddbb_dev_close(struct ddbb_blkif *blkif)
{
	if (!blkif->bdev)
		return;
	blkdev_put(blkif->bdev, blkif->mode);
	blkif->bdev = NULL;
}

/**
 * ddbb_dev_check_resize() - schedule a size update if the device changed
 * @blkif: connected device (called from the first ring's thread)
 */
void ddbb_dev_check_resize(struct ddbb_blkif *blkif)
{
	if (bdev_nr_sectors(blkif->bdev) != READ_ONCE(blkif->sectors))
		schedule_work(&blkif->resize_work);
}

/**
 * ddbb_dev_info() - value of the "info" key
 * @blkif: device
 *
 * Return: VDISK_* flags.
 */
unsigned int ddbb_dev_info(const struct ddbb_blkif *blkif)
{
	unsigned int info = 0;

	if (blkif->readonly)
		info |= VDISK_READONLY;
	if (blkif->cdrom)
		info |= VDISK_CDROM;
	if (blkif->removable)
		info |= VDISK_REMOVABLE;
	return info;
}
