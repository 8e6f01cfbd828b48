# /etc/cron.d/cron-heartbeat: runs hb-check every 15 minutes on a host that
# was not booted with systemd. Where systemd runs, hb-check.timer does the
# job instead, independently of cron, and this line does nothing: the
# directory /run/systemd/system exists only while systemd is the init.
#
# Settings come from /etc/default/cron-heartbeat, as for the systemd unit.
# hb-check prints only when a job needs attention, and cron mails that to
# root (set MAILTO below to send it elsewhere).

SHELL=/bin/sh
PATH=/usr/local/bin:/usr/bin:/bin

*/15 * * * * root [ -d /run/systemd/system ] || { set -a; [ -r /etc/default/cron-heartbeat ] && . /etc/default/cron-heartbeat; set +a; exec hb-check; }
