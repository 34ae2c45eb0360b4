#!/bin/sh
# Payload entry point, run by lab-init as PID 1 with the guest's role.
role=$1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
hostname "$role"
ip link set lo up
mkdir -p /lab/out /run/xen /var/run/xen /var/lib/xen /var/log/xen
mountpoint -q /proc/xen || mount -t xenfs xenfs /proc/xen 2>/dev/null
case "$role" in
dom0)
	exec /bin/bash /lab/tests/lab/dom0/main.sh ;;
*)
	exec /bin/sh /lab/tests/lab/guest/agent.sh ;;
esac
