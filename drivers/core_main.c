// SPDX-License-Identifier: GPL-2.0
/*
 * ddcore: shared core of the ddstack split drivers.
 */
#include <linux/init.h>
#include <linux/module.h>

static int __init ddcore_init(void)
{
	return 0;
}

static void __exit ddcore_exit(void)
{
}

module_init(ddcore_init);
module_exit(ddcore_exit);

MODULE_DESCRIPTION("ddstack shared core for Xen split drivers");
MODULE_LICENSE("GPL");
