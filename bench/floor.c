/* The floor for hb-write: the least a durable atomic heartbeat can cost.
 *
 *   floor DIR JOB
 *
 * writes a heartbeat-sized record to a temporary file in DIR (O_CREAT|O_EXCL),
 * fsyncs it, renames it over DIR/JOB.last and fsyncs DIR: the same system calls
 * hb-write must make, with no argument parsing, no allocation and no runtime.
 * bench/run builds it statically (cc -O2 -static). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char tmp[4096], dst[4096], rec[512];
    if (argc != 3) {
        fputs("usage: floor DIR JOB\n", stderr);
        return 2;
    }
    int n = snprintf(rec, sizeof rec,
                     "{\"version\":1,\"job\":\"%s\",\"timestamp\":%ld,"
                     "\"interval_seconds\":300,\"host\":\"h\",\"pid\":%d,"
                     "\"status\":\"ok\"}\n",
                     argv[2], (long)time(NULL), (int)getpid());
    if (n < 0 || (size_t)n >= sizeof rec) return 1;
    snprintf(tmp, sizeof tmp, "%s/.%s.last.%d.tmp", argv[1], argv[2], (int)getpid());
    snprintf(dst, sizeof dst, "%s/%s.last", argv[1], argv[2]);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) { perror(tmp); return 1; }
    if (write(fd, rec, (size_t)n) != n || fsync(fd) != 0 || close(fd) != 0) {
        perror(tmp);
        unlink(tmp);
        return 1;
    }
    if (rename(tmp, dst) != 0) { perror(dst); unlink(tmp); return 1; }
    int dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) { perror(argv[1]); return 1; }
    close(dfd);
    return 0;
}
