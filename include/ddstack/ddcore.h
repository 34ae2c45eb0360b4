/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddcore: what every ddstack split driver shares.
 *
 * A driver says what it negotiates (a feature table), which rings it wants
 * and how many queues; ddcore does the xenstore, grant and event channel
 * work the same way for all of them.
 */
#ifndef DDSTACK_DDCORE_H
#define DDSTACK_DDCORE_H

#include <linux/interrupt.h>
#include <linux/types.h>
#include <xen/grant_table.h>
#include <xen/interface/io/ring.h>
#include <xen/xenbus.h>
#include <ddstack/ddcore_state.h>

/* Largest ring any ddstack driver maps: 2^XENBUS_MAX_RING_GRANT_ORDER pages. */
#define DDCORE_MAX_RING_ORDER	XENBUS_MAX_RING_GRANT_ORDER
#define DDCORE_MAX_RING_PAGES	XENBUS_MAX_RING_GRANTS


/* ---- xenstore ---- */

/**
 * typedef ddcore_xs_fn - body of a xenstore transaction
 * @xbt: the transaction
 * @arg: caller's argument
 *
 * Return: 0 to commit, a negative errno to abort.
 */
typedef int (*ddcore_xs_fn)(struct xenbus_transaction xbt, void *arg);

int ddcore_xs_transact(ddcore_xs_fn fn, void *arg);

/* Feature table entry flags. */
#define DDCORE_FEAT_BOOL	BIT(0)	/* 0 or 1; anything non-zero reads 1 */
#define DDCORE_FEAT_STRICT	BIT(1)	/* above @max is an error, not clamped */
#define DDCORE_FEAT_OPTIONAL	BIT(2)	/* publish only when value != default */

/**
 * struct ddcore_feature - one negotiated xenstore key
 * @key: key name under the device directory
 * @def: value when the key is absent or unreadable
 * @max: largest acceptable value
 * @flags: DDCORE_FEAT_*
 */
struct ddcore_feature {
	const char *key;
	unsigned int def;
	unsigned int max;
	unsigned int flags;
};

int ddcore_feat_publish(struct xenbus_transaction xbt, const char *dir,
			const struct ddcore_feature *tab, unsigned int n,
			const unsigned int *vals);
int ddcore_feat_read(const char *dir, const struct ddcore_feature *tab,
		     unsigned int n, unsigned int *vals, unsigned int *bad);

char *ddcore_queue_path(const char *dir, unsigned int nr_queues,
			unsigned int q, gfp_t gfp);
int ddcore_parse_mac(const char *s, u8 mac[6]);
int ddcore_front_follow(struct xenbus_device *dev);

/* ---- backend life cycle ---- */

/**
 * struct ddcore_back_ops - a backend's part of the xenbus life cycle
 * @disconnect: drop the connection to the frontend (rings, event channels,
 *	work in flight); idempotent, called with the device lock held
 * @connect_rings: map the frontend's rings and bind its event channels;
 *	errors are reported with xenbus_dev_fatal()
 * @try_connect: go Connected if the device is ready (a driver waiting for
 *	something of its own, e.g. its hotplug script, calls it again later)
 * @disconnect_on_close: disconnect as soon as the frontend starts closing,
 *	not only once it has closed
 */
struct ddcore_back_ops {
	void (*disconnect)(void *drv);
	int (*connect_rings)(void *drv);
	void (*try_connect)(void *drv);
	bool disconnect_on_close;
};

struct mutex;
void ddcore_back_otherend_changed(struct xenbus_device *dev,
				  enum xenbus_state fstate, struct mutex *lock,
				  const struct ddcore_back_ops *ops, void *drv);

/* ---- rings ---- */

/**
 * struct ddcore_fring - frontend side of a (multi-page) shared ring
 * @sring: mapped shared ring, NULL when not set up
 * @order: log2 of the number of pages
 * @refs: grant reference of each page
 */
struct ddcore_fring {
	void *sring;
	unsigned int order;
	grant_ref_t refs[DDCORE_MAX_RING_PAGES];
};

int ddcore_fring_setup(struct xenbus_device *dev, struct ddcore_fring *r,
		       unsigned int order);
void ddcore_fring_teardown(struct ddcore_fring *r);
int ddcore_fring_publish(struct xenbus_transaction xbt, const char *dir,
			 const struct ddcore_fring *r);

/**
 * struct ddcore_bring - backend side of a (multi-page) shared ring
 * @sring: mapped shared ring, NULL when not mapped
 * @nr_pages: number of pages mapped
 */
struct ddcore_bring {
	void *sring;
	unsigned int nr_pages;
};

int ddcore_bring_map(struct xenbus_device *dev, const char *dir,
		     unsigned int order, struct ddcore_bring *r);
int ddcore_bring_map_key(struct xenbus_device *dev, const char *dir,
			 const char *key, struct ddcore_bring *r);
int ddcore_bring_check(const struct ddcore_bring *r, unsigned int ring_size,
		       RING_IDX *rsp_prod);
void ddcore_bring_unmap(struct xenbus_device *dev, struct ddcore_bring *r);

/**
 * ddcore_ring_bytes() - bytes covered by a ring of 2^@order pages
 * @order: ring page order
 *
 * Return: size to hand to BACK_RING_ATTACH()/XEN_FRONT_RING_INIT().
 */
static inline size_t ddcore_ring_bytes(unsigned int order)
{
	return (size_t)XEN_PAGE_SIZE << order;
}

/* ---- event channels ---- */

int ddcore_evtchn_read(const char *dir, evtchn_port_t *port);
int ddcore_back_evtchn_bind(struct xenbus_device *dev, evtchn_port_t port,
			    irq_handler_t handler, const char *name, void *data);
void ddcore_eoi(int irq, bool had_work);
int ddcore_front_evtchn_alloc(struct xenbus_device *dev, evtchn_port_t *port,
			      irq_handler_t handler, const char *name,
			      void *data, bool late_eoi);
void ddcore_front_evtchn_free(struct xenbus_device *dev, evtchn_port_t port,
			      int irq, void *data);
void ddcore_evtchn_unbind(int irq, void *data);

#endif /* DDSTACK_DDCORE_H */
