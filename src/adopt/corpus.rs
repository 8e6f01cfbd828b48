//! The corpus: realistic crontab lines and what adoption makes of each.

use std::path::Path;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use super::plan::{interval_word, Adoption};
use crate::schedule::crontab::{self, Flavour};

/// (line of a user crontab, adopted line, job, interval in seconds).
const CORPUS: &[(&str, &str, &str, u64)] = &[
    (
        "0 3 * * * /usr/local/bin/backup.sh --full",
        "0 3 * * * hb-write backup 1d -- /usr/local/bin/backup.sh --full",
        "backup",
        86_400,
    ),
    (
        "*/5 * * * * /usr/bin/php /var/www/app/artisan schedule:run",
        "*/5 * * * * hb-write artisan 5m -- /usr/bin/php /var/www/app/artisan schedule:run",
        "artisan",
        300,
    ),
    (
        "30 2 * * 1-5 /opt/report/run.py",
        "30 2 * * 1-5 hb-write run 3d -- /opt/report/run.py",
        "run",
        3 * 86_400,
    ),
    (
        "@daily /usr/sbin/logrotate /etc/logrotate.conf",
        "@daily hb-write logrotate 1d -- /usr/sbin/logrotate /etc/logrotate.conf",
        "logrotate",
        86_400,
    ),
    (
        "@hourly   sync-mirror",
        "@hourly   hb-write sync-mirror 1h -- sync-mirror",
        "sync-mirror",
        3_600,
    ),
    (
        "@weekly /usr/local/bin/fstrim-all",
        "@weekly hb-write fstrim-all 1w -- /usr/local/bin/fstrim-all",
        "fstrim-all",
        604_800,
    ),
    (
        "@monthly /usr/local/bin/invoice",
        "@monthly hb-write invoice 31d -- /usr/local/bin/invoice",
        "invoice",
        31 * 86_400,
    ),
    (
        "0 0 1 1 * /usr/local/bin/new-year",
        "0 0 1 1 * hb-write new-year 365d -- /usr/local/bin/new-year",
        "new-year",
        365 * 86_400,
    ),
    (
        "0 */6 * * * /usr/local/bin/fetch-feeds > /dev/null 2>&1",
        "0 */6 * * * hb-write fetch-feeds 6h -- sh -c '/usr/local/bin/fetch-feeds > /dev/null 2>&1'",
        "fetch-feeds",
        21_600,
    ),
    (
        "15 4 * * * cd /srv/app && ./bin/cleanup --days 30",
        "15 4 * * * hb-write cleanup 1d -- sh -c 'cd /srv/app && ./bin/cleanup --days 30'",
        "cleanup",
        86_400,
    ),
    (
        "0 1 * * * pg_dump mydb | gzip > /backup/db.sql.gz",
        "0 1 * * * hb-write pg_dump 1d -- sh -c 'pg_dump mydb | gzip > /backup/db.sql.gz'",
        "pg_dump",
        86_400,
    ),
    (
        "0 2 * * * tar czf /backup/etc-$(date +\\%F).tgz /etc",
        "0 2 * * * hb-write tar 1d -- sh -c 'tar czf /backup/etc-$(date +\\%F).tgz /etc'",
        "tar",
        86_400,
    ),
    (
        "5 0 * * * /usr/bin/find /tmp/cache -mtime +7 -name '*.tmp' -delete",
        "5 0 * * * hb-write find 1d -- /usr/bin/find /tmp/cache -mtime +7 -name '*.tmp' -delete",
        "find",
        86_400,
    ),
    (
        "0 8 * * 1 /usr/bin/mail -s \"weekly\" ops@example.com%Weekly report%Regards",
        "0 8 * * 1 hb-write mail 1w -- /usr/bin/mail -s \"weekly\" ops@example.com%Weekly report%Regards",
        "mail",
        604_800,
    ),
    (
        "0 9 * * * echo 'it'\"'\"'s time' | wall",
        "0 9 * * * hb-write wall 1d -- sh -c 'echo '\\''it'\\''\"'\\''\"'\\''s time'\\'' | wall'",
        "wall",
        86_400,
    ),
    (
        "*/10 * * * * FOO=1 BAR=\"a b\" /usr/local/bin/poll",
        "*/10 * * * * FOO=1 BAR=\"a b\" hb-write poll 10m -- /usr/local/bin/poll",
        "poll",
        600,
    ),
    (
        "0 4 * * * nice -n 19 /usr/local/bin/reindex",
        "0 4 * * * hb-write reindex 1d -- nice -n 19 /usr/local/bin/reindex",
        "reindex",
        86_400,
    ),
    (
        "*/15 * * * * flock -n /run/lock/sync.lock /usr/local/bin/sync-files",
        "*/15 * * * * hb-write sync-files 15m -- flock -n /run/lock/sync.lock /usr/local/bin/sync-files",
        "sync-files",
        900,
    ),
    (
        "*/15 * * * * flock -n /run/lock/x.lock -c 'rsync -a /src /dst'",
        "*/15 * * * * hb-write rsync 15m -- flock -n /run/lock/x.lock -c 'rsync -a /src /dst'",
        "rsync",
        900,
    ),
    (
        "0 5 * * * timeout 2h /usr/local/bin/crawl --all",
        "0 5 * * * hb-write crawl 1d -- timeout 2h /usr/local/bin/crawl --all",
        "crawl",
        86_400,
    ),
    (
        "0 6 * * * ionice -c3 nice /usr/local/bin/scrub",
        "0 6 * * * hb-write scrub 1d -- ionice -c3 nice /usr/local/bin/scrub",
        "scrub",
        86_400,
    ),
    (
        "0 0-23/2 * * * /usr/local/bin/every-two",
        "0 0-23/2 * * * hb-write every-two 2h -- /usr/local/bin/every-two",
        "every-two",
        7_200,
    ),
    (
        "0 9-17 * * 1-5 /usr/local/bin/office-hours",
        "0 9-17 * * 1-5 hb-write office-hours 2d16h -- /usr/local/bin/office-hours",
        "office-hours",
        2 * 86_400 + 16 * 3_600,
    ),
    (
        "30 3 1,15 * * /usr/local/bin/twice-a-month",
        "30 3 1,15 * * hb-write twice-a-month 17d -- /usr/local/bin/twice-a-month",
        "twice-a-month",
        17 * 86_400,
    ),
    (
        "0 12 * * sun /usr/local/bin/sunday",
        "0 12 * * sun hb-write sunday 1w -- /usr/local/bin/sunday",
        "sunday",
        604_800,
    ),
    (
        "  0 3 * * *\t/usr/local/bin/tabbed",
        "  0 3 * * *\thb-write tabbed 1d -- /usr/local/bin/tabbed",
        "tabbed",
        86_400,
    ),
    (
        "0 3 * * * python3 -u /opt/etl/load_data.py --env prod",
        "0 3 * * * hb-write load_data 1d -- python3 -u /opt/etl/load_data.py --env prod",
        "load_data",
        86_400,
    ),
    (
        "0 3 * * * bash -c 'source /etc/profile; /opt/jobs/nightly'",
        "0 3 * * * hb-write nightly 1d -- bash -c 'source /etc/profile; /opt/jobs/nightly'",
        "nightly",
        86_400,
    ),
    (
        "0 3 * * * /usr/local/bin/a; /usr/local/bin/b",
        "0 3 * * * hb-write a 1d -- sh -c '/usr/local/bin/a; /usr/local/bin/b'",
        "a",
        86_400,
    ),
    (
        "0 3 * * * test -x /usr/sbin/anacron || run-parts --report /etc/cron.daily",
        "0 3 * * * hb-write cron.daily 1d -- sh -c 'test -x /usr/sbin/anacron || run-parts --report /etc/cron.daily'",
        "cron.daily",
        86_400,
    ),
    (
        "0 3 * * * /usr/local/bin/backup.sh --full # nightly",
        "0 3 * * * hb-write backup 1d -- /usr/local/bin/backup.sh --full # nightly",
        "backup",
        86_400,
    ),
    (
        "0 3 * * * sudo -u www-data /usr/bin/php /var/www/cron.php",
        "0 3 * * * hb-write cron 1d -- sudo -u www-data /usr/bin/php /var/www/cron.php",
        "cron",
        86_400,
    ),
    (
        "0 3 * * * /usr/bin/mysqldump --all-databases > /srv/db.sql % ignored input",
        "0 3 * * * hb-write mysqldump 1d -- sh -c '/usr/bin/mysqldump --all-databases > /srv/db.sql' % ignored input",
        "mysqldump",
        86_400,
    ),
    (
        "0 3 * * * date +\\%s >> /var/log/stamp",
        "0 3 * * * hb-write date 1d -- sh -c 'date +\\%s >> /var/log/stamp'",
        "date",
        86_400,
    ),
];

#[test]
fn every_line_of_the_corpus_is_adopted_as_written_here() {
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap();
    assert!(CORPUS.len() >= 30);
    let mut wrong = Vec::new();
    for &(old, new, job, interval) in CORPUS {
        let text = format!("{old}\n");
        let mut adoption = Adoption {
            program: "hb-write".to_owned(),
            zone: Tz::UTC,
            now,
            ..Adoption::default()
        };
        let path = Path::new("/var/spool/cron/crontabs/ops");
        let got = adoption.plan(path, &text, Flavour::User);
        assert!(got.refused.is_empty(), "{old}: {:?}", got.refused);
        assert_eq!(got.adopted.len(), 1, "{old}: {got:?}");
        let a = &got.adopted[0].1;
        let call = format!("hb-write {job} {} --", interval_word(interval));
        if a != new || !a.contains(&call) {
            wrong.push(format!("{old}\n  got  {a}"));
            continue;
        }
        // Cron hands the shell the same command with hb-write in front,
        // and the same input.
        let before = &crontab::parse(&text, Flavour::User).0[0];
        let after = &crontab::parse(&format!("{new}\n"), Flavour::User).0[0];
        assert_eq!(
            (before.cut, &before.when),
            (after.cut, &after.when),
            "{old}"
        );
        assert!(after.command.contains("hb-write"), "{old}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
