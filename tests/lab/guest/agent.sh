#!/bin/sh
# Lab agent in a domU: runs the commands dom0 writes to this domain's
# xenstore directory data/lab (cmd, then seq), and answers in rc ("seq rc") and
# out (the output's tail). The nodes are created here so the guest owns them.
d=data/lab
xenstore-write $d/cmd "" $d/out "" $d/rc "0 0" $d/seq 0
xenstore-write $d/ready 1
echo "agent: ready"
last=0
while :; do
	seq=$(xenstore-read $d/seq 2>/dev/null)
	if [ -z "$seq" ] || [ "$seq" = "$last" ]; then
		timeout 5 xenstore-watch -n 2 $d/seq >/dev/null 2>&1
		continue
	fi
	last=$seq
	cmd=$(xenstore-read $d/cmd)
	echo "agent: [$seq] $cmd"
	log=/tmp/cmd-$seq.log
	( cd /tmp && . /lab/tests/lab/guest/do.sh && eval "$cmd" ) >$log 2>&1 </dev/null
	rc=$?
	cat $log >>/lab/out/agent.log
	echo "agent: [$seq] rc=$rc"
	# xenstored refuses a node over 2048 bytes from a guest (its entry-size quota)
	xenstore-write $d/out "$(tail -c 2000 $log)" || xenstore-write $d/out "(output lost)"
	xenstore-write $d/rc "$seq $rc"
	case "$cmd" in
	lab_poweroff*)
		sync; umount /lab; echo o >/proc/sysrq-trigger; sleep 30 ;;
	esac
done
