# /etc/cron.d/cron-heartbeat: runs hb-check every 15 minutes on a host that
# was not booted with systemd. Where systemd runs, hb-check.timer does the
# job instead, independently of cron, and this line does nothing.
#
# /usr/lib/cron-heartbeat/hb-check-from-cron applies the settings of
# /etc/default/cron-heartbeat as the systemd unit does, and runs hb-check
# --changes-only: hb-check prints only when something changed, and cron
# mails that to root (set MAILTO below to send it elsewhere). Once the
# package is removed (its settings stay), the line does nothing.

SHELL=/bin/sh
PATH=/usr/local/bin:/usr/bin:/bin

*/15 * * * * root [ -x /usr/bin/hb-check ] && /usr/lib/cron-heartbeat/hb-check-from-cron
