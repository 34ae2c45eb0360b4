// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetback: the vifD.H netdev.  Its offloads follow what the frontend
 * accepts on its rx ring; what the frontend cannot take the stack segments
 * or checksums before ndo_start_xmit() (see ddnb_features_check()).
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include "common.h"

static int ddnb_open(struct net_device *ndev)
{
	struct ddnb_vif *vif = netdev_priv(ndev);

	if (READ_ONCE(vif->connected))
		netif_tx_start_all_queues(ndev);
	return 0;
}

static int ddnb_close(struct net_device *ndev)
{
	netif_tx_stop_all_queues(ndev);
	return 0;
}

static int ddnb_change_mtu(struct net_device *ndev, int mtu)
{
	struct ddnb_vif *vif = netdev_priv(ndev);

	/* A frontend without feature-sg takes one page per packet. */
	if (mtu > ETH_DATA_LEN && READ_ONCE(vif->nr_queues) && !READ_ONCE(vif->fe_sg))
		return -EINVAL;
	WRITE_ONCE(ndev->mtu, mtu);
	return 0;
}

static netdev_features_t ddnb_fix_features(struct net_device *ndev,
					   netdev_features_t features)
{
	struct ddnb_vif *vif = netdev_priv(ndev);

	if (!READ_ONCE(vif->fe_sg))
		features &= ~NETIF_F_SG;
	if (!READ_ONCE(vif->fe_gso_v4))
		features &= ~NETIF_F_TSO;
	if (!READ_ONCE(vif->fe_gso_v6))
		features &= ~NETIF_F_TSO6;
	if (!READ_ONCE(vif->fe_csum))
		features &= ~NETIF_F_IP_CSUM;
	if (!READ_ONCE(vif->fe_ipv6_csum))
		features &= ~NETIF_F_IPV6_CSUM;
	return features;
}

/* A GSO packet longer than one rx packet may be is segmented by the stack. */
static netdev_features_t ddnb_features_check(struct sk_buff *skb,
					     struct net_device *ndev,
					     netdev_features_t features)
{
	if (skb_is_gso(skb) && skb->len > DDNET_MAX_PKT)
		features &= ~NETIF_F_GSO_MASK;
	return vlan_features_check(skb, features);
}

static const struct net_device_ops ddnb_netdev_ops = {
	.ndo_open = ddnb_open,
	.ndo_stop = ddnb_close,
	.ndo_start_xmit = ddnb_start_xmit,
	.ndo_get_stats64 = ddnb_get_stats64,
	.ndo_change_mtu = ddnb_change_mtu,
	.ndo_fix_features = ddnb_fix_features,
	.ndo_features_check = ddnb_features_check,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/**
 * ddnb_netdev_alloc() - allocate the vif netdev (not registered)
 * @dev: xenbus device (parent in sysfs)
 * @domid: frontend domain
 * @handle: device handle
 * @max_queues: tx queues to allocate
 *
 * The netdev is named vif<domid>.<handle> like upstream's, has the backend
 * MAC fe:ff:ff:ff:ff:ff and starts without carrier.  Its private data is a
 * zeroed struct ddnb_vif with @dev, @ndev, @domid, @handle and @max_queues
 * filled in.
 *
 * Return: the netdev or NULL.
 */
struct net_device *ddnb_netdev_alloc(struct xenbus_device *dev,
				     unsigned int domid, unsigned int handle,
				     unsigned int max_queues)
{
	static const u8 mac[ETH_ALEN] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct net_device *ndev;
	struct ddnb_vif *vif;
	char name[IFNAMSIZ];

	if (snprintf(name, sizeof(name), "vif%u.%u", domid, handle) >= (int)sizeof(name))
		return NULL;
	ndev = alloc_netdev_mq(sizeof(*vif), name, NET_NAME_UNKNOWN, ether_setup,
			       max_queues);
	if (!ndev)
		return NULL;
	SET_NETDEV_DEV(ndev, &dev->dev);
	vif = netdev_priv(ndev);
	vif->dev = dev;
	vif->ndev = ndev;
	vif->domid = domid;
	vif->handle = handle;
	vif->max_queues = max_queues;

	ndev->netdev_ops = &ddnb_netdev_ops;
	ndev->ethtool_ops = &ddnb_ethtool_ops;
	ndev->hw_features = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM |
			    NETIF_F_TSO | NETIF_F_TSO6;
	ndev->features = ndev->hw_features | NETIF_F_RXCSUM;
	/* Queued skbs sit on a list: pktgen must not send one twice. */
	ndev->priv_flags &= ~IFF_TX_SKB_SHARING;
	ndev->min_mtu = ETH_MIN_MTU;
	ndev->max_mtu = ETH_MAX_MTU - ETH_HLEN;
	netif_set_tso_max_size(ndev, DDNET_MAX_PKT);
	eth_hw_addr_set(ndev, mac);
	netif_carrier_off(ndev);
	return ndev;
}

/**
 * ddnb_netdev_set_mtu() - set the MTU before the netdev is registered
 * @vif: vif
 * @mtu: already checked against the netdev's limits
 */
void ddnb_netdev_set_mtu(struct ddnb_vif *vif, unsigned int mtu)
{
	vif->ndev->mtu = mtu;
}
