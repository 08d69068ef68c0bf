/* SPDX-License-Identifier: Apache-2.0
 * rwload: Prometheus remote_write 1.0 load generator for metrics-ai's benchmarks. Sends
 * node_exporter-like series (156 per simulated target) as hand-encoded, snappy-compressed
 * WriteRequests over keep-alive HTTP/1.1 sockets, one thread per connection, and prints
 * throughput, latency, the receiver's CPU/RSS (from /proc) and its own CPU per million samples.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <snappy-c.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SERIES_PER_TARGET 156
#define SCRAPE_INTERVAL_MS 15000
#define MAX_LABELS 6
#define RBUF_CAP 65536
#define MAX_BODY_BYTES (64u << 20)
#define MAX_ERR_LINE 200
#define MAX_CONSECUTIVE_ERRORS 20
#define MAX_CONNECTIONS 1024
#define MAX_SERIES 50000000L
#define TS_VARINT_LEN 6 /* ms timestamps in [2^35, 2^42): 1971..2109 */
#define SAMPLE_MSG_LEN (1 + 8 + 1 + TS_VARINT_LEN)

/* ---------------------------------------------------------------- configuration */

struct config {
    char url[512];
    char host[256];
    char port[16];
    char path[256];
    char host_header[300];
    long series;
    long spr;
    long connections;
    double duration_s;
    long warmup_rounds;
    double warmup_max_s;
    long max_requests;
    long pid;
    double timeout_s;
    double start_ago_h;
    bool allow_non_loopback;
    unsigned long seed;
};

static void usage(FILE *f)
{
    fputs("usage: rwload [options]\n"
          "  --url URL                 http://host:port/path (default http://127.0.0.1:9201/api/v1/write)\n"
          "  --series N                series in total, 156 per simulated target (default 10000)\n"
          "  --samples-per-request N   samples (= series) per request (default 500)\n"
          "  --connections N           keep-alive connections, one thread each (default 8)\n"
          "  --duration SECONDS        length of the measured phase (default 20)\n"
          "  --warmup-rounds N         rounds sent before measuring; round 0 creates the series (default 1)\n"
          "  --warmup-max-seconds S    time bound of the warm-up (default 600)\n"
          "  --max-requests N          hard bound on requests over both phases (default 50000000)\n"
          "  --pid PID                 receiver pid: CPU and RSS read from /proc/PID\n"
          "  --timeout SECONDS         socket send/receive timeout (default 5)\n"
          "  --start-hours-ago H       timestamp of round 0, hours before now (default 24)\n"
          "  --seed N                  random seed for values (default 1)\n"
          "  --allow-non-loopback      permit a target that is not a loopback address\n",
          f);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_url(struct config *cfg)
{
    const char *u = cfg->url;
    if (strncmp(u, "http://", 7) != 0) {
        fprintf(stderr, "rwload: only http:// URLs are supported: %s\n", u);
        return -1;
    }
    u += 7;
    const char *slash = strchr(u, '/');
    size_t hp_len = slash ? (size_t)(slash - u) : strlen(u);
    if (hp_len == 0 || hp_len >= sizeof cfg->host_header) {
        fprintf(stderr, "rwload: bad host in URL %s\n", cfg->url);
        return -1;
    }
    memcpy(cfg->host_header, u, hp_len);
    cfg->host_header[hp_len] = '\0';
    const char *path = slash ? slash : "/";
    if (strlen(path) >= sizeof cfg->path) {
        fprintf(stderr, "rwload: URL path too long\n");
        return -1;
    }
    strcpy(cfg->path, path);

    const char *hp = cfg->host_header;
    const char *host_start = hp, *host_end, *port_str = NULL;
    if (*hp == '[') {
        host_start = hp + 1;
        host_end = strchr(host_start, ']');
        if (!host_end) {
            fprintf(stderr, "rwload: bad IPv6 literal in URL %s\n", cfg->url);
            return -1;
        }
        if (host_end[1] == ':')
            port_str = host_end + 2;
    } else {
        host_end = strrchr(hp, ':');
        if (host_end)
            port_str = host_end + 1;
        else
            host_end = hp + strlen(hp);
    }
    size_t hl = (size_t)(host_end - host_start);
    if (hl == 0 || hl >= sizeof cfg->host) {
        fprintf(stderr, "rwload: bad host in URL %s\n", cfg->url);
        return -1;
    }
    memcpy(cfg->host, host_start, hl);
    cfg->host[hl] = '\0';
    long port = 80;
    if (port_str && parse_long(port_str, 1, 65535, &port) != 0) {
        fprintf(stderr, "rwload: bad port in URL %s\n", cfg->url);
        return -1;
    }
    snprintf(cfg->port, sizeof cfg->port, "%ld", port);
    return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->url, "http://127.0.0.1:9201/api/v1/write");
    cfg->series = 10000;
    cfg->spr = 500;
    cfg->connections = 8;
    cfg->duration_s = 20;
    cfg->warmup_rounds = 1;
    cfg->warmup_max_s = 600;
    cfg->max_requests = 50000000L;
    cfg->pid = 0;
    cfg->timeout_s = 5;
    cfg->start_ago_h = 24;
    cfg->seed = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        bool takes = true;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--allow-non-loopback")) {
            cfg->allow_non_loopback = true;
            takes = false;
        } else if (!v) {
            fprintf(stderr, "rwload: %s needs a value\n", a);
            return -1;
        } else if (!strcmp(a, "--url")) {
            if (strlen(v) >= sizeof cfg->url)
                rc = -1;
            else
                strcpy(cfg->url, v);
        } else if (!strcmp(a, "--series")) {
            rc = parse_long(v, 1, MAX_SERIES, &cfg->series);
        } else if (!strcmp(a, "--samples-per-request")) {
            rc = parse_long(v, 1, 1000000, &cfg->spr);
        } else if (!strcmp(a, "--connections")) {
            rc = parse_long(v, 1, MAX_CONNECTIONS, &cfg->connections);
        } else if (!strcmp(a, "--duration")) {
            rc = parse_double(v, 0.1, 86400, &cfg->duration_s);
        } else if (!strcmp(a, "--warmup-rounds")) {
            rc = parse_long(v, 0, 1000000, &cfg->warmup_rounds);
        } else if (!strcmp(a, "--warmup-max-seconds")) {
            rc = parse_double(v, 0.1, 86400, &cfg->warmup_max_s);
        } else if (!strcmp(a, "--max-requests")) {
            rc = parse_long(v, 1, 1000000000000L, &cfg->max_requests);
        } else if (!strcmp(a, "--pid")) {
            rc = parse_long(v, 1, 1L << 30, &cfg->pid);
        } else if (!strcmp(a, "--timeout")) {
            rc = parse_double(v, 0.05, 600, &cfg->timeout_s);
        } else if (!strcmp(a, "--start-hours-ago")) {
            rc = parse_double(v, 0, 24 * 365, &cfg->start_ago_h);
        } else if (!strcmp(a, "--seed")) {
            long s;
            rc = parse_long(v, 0, 1L << 62, &s);
            cfg->seed = (unsigned long)s;
        } else {
            fprintf(stderr, "rwload: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        if (rc != 0) {
            fprintf(stderr, "rwload: bad value for %s: %s\n", a, v);
            return -1;
        }
        if (takes)
            i++;
    }
    return parse_url(cfg);
}

/* ---------------------------------------------------------------- time and /proc */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t now_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

struct proc_sample {
    bool ok;
    double cpu_s;
    long rss_bytes;
};

static struct proc_sample read_proc(long pid)
{
    struct proc_sample ps = {false, 0, 0};
    if (pid <= 0)
        return ps;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return ps;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return ps;
    /* fields after ')': 3 state ... 14 utime 15 stime */
    unsigned long long utime = 0, stime = 0;
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p + 1, " ", &save); tok && field < 15;
         tok = strtok_r(NULL, " ", &save)) {
        field++;
        if (field == 14)
            utime = strtoull(tok, NULL, 10);
        else if (field == 15)
            stime = strtoull(tok, NULL, 10);
    }
    if (field < 15)
        return ps;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    ps.cpu_s = (double)(utime + stime) / (double)hz;

    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    f = fopen(path, "r");
    if (!f)
        return ps;
    char line[256];
    int lines = 0;
    while (lines++ < 200 && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) {
            ps.rss_bytes = strtol(line + 6, NULL, 10) * 1024;
            break;
        }
    }
    fclose(f);
    ps.ok = true;
    return ps;
}

/* ---------------------------------------------------------------- series model */

enum kind { K_COUNTER, K_GAUGE, K_CONST };
enum dim { D_NONE, D_CPU, D_FS, D_DISK, D_NET };

struct mdef {
    const char *name;
    unsigned char kind, dim;
    double base;  /* typical magnitude */
    double scale; /* typical change per 15 s */
};

static const struct mdef METRICS[] = {
    /* 2 cpus x 8 modes = 16 */
    {"node_cpu_seconds_total", K_COUNTER, D_CPU, 1e5, 5},
    /* 7 x 4 filesystems = 28 */
    {"node_filesystem_avail_bytes", K_GAUGE, D_FS, 5e10, 1e6},
    {"node_filesystem_free_bytes", K_GAUGE, D_FS, 6e10, 1e6},
    {"node_filesystem_size_bytes", K_CONST, D_FS, 1e11, 0},
    {"node_filesystem_files", K_CONST, D_FS, 6e6, 0},
    {"node_filesystem_files_free", K_GAUGE, D_FS, 5e6, 20},
    {"node_filesystem_readonly", K_CONST, D_FS, 0, 0},
    {"node_filesystem_device_error", K_CONST, D_FS, 0, 0},
    /* 9 x 2 disks = 18 */
    {"node_disk_reads_completed_total", K_COUNTER, D_DISK, 1e7, 300},
    {"node_disk_writes_completed_total", K_COUNTER, D_DISK, 3e7, 900},
    {"node_disk_read_bytes_total", K_COUNTER, D_DISK, 2e11, 4e6},
    {"node_disk_written_bytes_total", K_COUNTER, D_DISK, 5e11, 9e6},
    {"node_disk_io_time_seconds_total", K_COUNTER, D_DISK, 4e4, 2},
    {"node_disk_read_time_seconds_total", K_COUNTER, D_DISK, 2e4, 1},
    {"node_disk_write_time_seconds_total", K_COUNTER, D_DISK, 6e4, 3},
    {"node_disk_io_time_weighted_seconds_total", K_COUNTER, D_DISK, 8e4, 4},
    {"node_disk_io_now", K_GAUGE, D_DISK, 2, 1},
    /* 10 x 3 interfaces = 30 */
    {"node_network_receive_bytes_total", K_COUNTER, D_NET, 8e11, 2e7},
    {"node_network_transmit_bytes_total", K_COUNTER, D_NET, 6e11, 1.5e7},
    {"node_network_receive_packets_total", K_COUNTER, D_NET, 9e8, 2e4},
    {"node_network_transmit_packets_total", K_COUNTER, D_NET, 7e8, 1.6e4},
    {"node_network_receive_errs_total", K_COUNTER, D_NET, 10, 0.02},
    {"node_network_transmit_errs_total", K_COUNTER, D_NET, 5, 0.01},
    {"node_network_receive_drop_total", K_COUNTER, D_NET, 300, 0.3},
    {"node_network_transmit_drop_total", K_COUNTER, D_NET, 40, 0.05},
    {"node_network_up", K_CONST, D_NET, 1, 0},
    {"node_network_mtu_bytes", K_CONST, D_NET, 1500, 0},
    /* 64 plain series */
    {"node_memory_MemTotal_bytes", K_CONST, D_NONE, 1.6e10, 0},
    {"node_memory_MemFree_bytes", K_GAUGE, D_NONE, 2e9, 5e6},
    {"node_memory_MemAvailable_bytes", K_GAUGE, D_NONE, 8e9, 5e6},
    {"node_memory_Buffers_bytes", K_GAUGE, D_NONE, 3e8, 1e5},
    {"node_memory_Cached_bytes", K_GAUGE, D_NONE, 6e9, 4e6},
    {"node_memory_SwapCached_bytes", K_CONST, D_NONE, 0, 0},
    {"node_memory_Active_bytes", K_GAUGE, D_NONE, 7e9, 3e6},
    {"node_memory_Inactive_bytes", K_GAUGE, D_NONE, 4e9, 3e6},
    {"node_memory_Active_anon_bytes", K_GAUGE, D_NONE, 4e9, 2e6},
    {"node_memory_Inactive_anon_bytes", K_GAUGE, D_NONE, 1e9, 1e6},
    {"node_memory_Active_file_bytes", K_GAUGE, D_NONE, 3e9, 2e6},
    {"node_memory_Inactive_file_bytes", K_GAUGE, D_NONE, 3e9, 2e6},
    {"node_memory_Unevictable_bytes", K_CONST, D_NONE, 3e7, 0},
    {"node_memory_SwapTotal_bytes", K_CONST, D_NONE, 0, 0},
    {"node_memory_SwapFree_bytes", K_CONST, D_NONE, 0, 0},
    {"node_memory_Dirty_bytes", K_GAUGE, D_NONE, 2e6, 5e5},
    {"node_memory_Writeback_bytes", K_GAUGE, D_NONE, 1e4, 1e4},
    {"node_memory_AnonPages_bytes", K_GAUGE, D_NONE, 4e9, 2e6},
    {"node_memory_Mapped_bytes", K_GAUGE, D_NONE, 8e8, 2e5},
    {"node_memory_Shmem_bytes", K_GAUGE, D_NONE, 2e8, 5e4},
    {"node_memory_Slab_bytes", K_GAUGE, D_NONE, 5e8, 1e5},
    {"node_memory_SReclaimable_bytes", K_GAUGE, D_NONE, 3e8, 1e5},
    {"node_memory_SUnreclaim_bytes", K_GAUGE, D_NONE, 2e8, 5e4},
    {"node_memory_KernelStack_bytes", K_GAUGE, D_NONE, 2e7, 1e4},
    {"node_memory_PageTables_bytes", K_GAUGE, D_NONE, 5e7, 2e4},
    {"node_memory_CommitLimit_bytes", K_CONST, D_NONE, 8e9, 0},
    {"node_memory_Committed_AS_bytes", K_GAUGE, D_NONE, 1e10, 5e6},
    {"node_memory_VmallocTotal_bytes", K_CONST, D_NONE, 3.5e13, 0},
    {"node_memory_VmallocUsed_bytes", K_GAUGE, D_NONE, 4e7, 1e4},
    {"node_memory_HugePages_Total", K_CONST, D_NONE, 0, 0},
    {"node_memory_Hugepagesize_bytes", K_CONST, D_NONE, 2097152, 0},
    {"node_load1", K_GAUGE, D_NONE, 1.5, 0.3},
    {"node_load5", K_GAUGE, D_NONE, 1.4, 0.1},
    {"node_load15", K_GAUGE, D_NONE, 1.3, 0.05},
    {"node_boot_time_seconds", K_CONST, D_NONE, 1.7e9, 0},
    {"node_time_seconds", K_COUNTER, D_NONE, 1.7e9, 30},
    {"node_context_switches_total", K_COUNTER, D_NONE, 4e9, 6e4},
    {"node_intr_total", K_COUNTER, D_NONE, 2e9, 3e4},
    {"node_forks_total", K_COUNTER, D_NONE, 5e6, 60},
    {"node_procs_running", K_GAUGE, D_NONE, 3, 1},
    {"node_procs_blocked", K_GAUGE, D_NONE, 0.5, 0.5},
    {"node_entropy_available_bits", K_GAUGE, D_NONE, 3500, 50},
    {"node_filefd_allocated", K_GAUGE, D_NONE, 4000, 20},
    {"node_filefd_maximum", K_CONST, D_NONE, 9.2e18, 0},
    {"node_sockstat_sockets_used", K_GAUGE, D_NONE, 600, 10},
    {"node_sockstat_TCP_inuse", K_GAUGE, D_NONE, 80, 4},
    {"node_sockstat_TCP_tw", K_GAUGE, D_NONE, 40, 4},
    {"node_sockstat_TCP_alloc", K_GAUGE, D_NONE, 100, 4},
    {"node_sockstat_UDP_inuse", K_GAUGE, D_NONE, 8, 0.5},
    {"process_cpu_seconds_total", K_COUNTER, D_NONE, 3e3, 0.1},
    {"go_memstats_alloc_bytes_total", K_COUNTER, D_NONE, 5e11, 1e7},
    {"go_memstats_mallocs_total", K_COUNTER, D_NONE, 8e9, 1e5},
    {"go_memstats_frees_total", K_COUNTER, D_NONE, 8e9, 1e5},
    {"process_resident_memory_bytes", K_GAUGE, D_NONE, 2.5e7, 1e5},
    {"process_virtual_memory_bytes", K_GAUGE, D_NONE, 7.5e8, 1e5},
    {"process_open_fds", K_GAUGE, D_NONE, 10, 1},
    {"process_max_fds", K_CONST, D_NONE, 1048576, 0},
    {"process_start_time_seconds", K_CONST, D_NONE, 1.7e9, 0},
    {"go_goroutines", K_GAUGE, D_NONE, 8, 1},
    {"go_threads", K_CONST, D_NONE, 7, 0},
    {"go_memstats_heap_alloc_bytes", K_GAUGE, D_NONE, 4e6, 2e5},
    {"up", K_CONST, D_NONE, 1, 0},
    {"scrape_duration_seconds", K_GAUGE, D_NONE, 0.02, 0.002},
    {"scrape_samples_scraped", K_CONST, D_NONE, SERIES_PER_TARGET, 0},
};
#define N_METRICS (sizeof METRICS / sizeof METRICS[0])

static const char *const CPU_IDS[] = {"0", "1"};
static const char *const CPU_MODES[] = {"idle", "iowait", "irq",   "nice",
                                        "softirq", "steal", "system", "user"};
static const struct {
    const char *device, *fstype, *mountpoint;
} FILESYSTEMS[] = {
    {"/dev/sda1", "ext4", "/"},
    {"/dev/sda2", "vfat", "/boot/efi"},
    {"/dev/sdb1", "xfs", "/data"},
    {"tmpfs", "tmpfs", "/run"},
};
static const char *const DISKS[] = {"sda", "sdb"};
static const char *const NETDEVS[] = {"eth0", "eth1", "lo"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static size_t dim_count(unsigned dim)
{
    switch (dim) {
    case D_CPU: return NELEM(CPU_IDS) * NELEM(CPU_MODES);
    case D_FS: return NELEM(FILESYSTEMS);
    case D_DISK: return NELEM(DISKS);
    case D_NET: return NELEM(NETDEVS);
    default: return 1;
    }
}

struct tmpl {
    unsigned short metric;
    unsigned short sub;
};

static struct tmpl TEMPLATE[SERIES_PER_TARGET];

static int build_template(void)
{
    size_t n = 0;
    for (size_t m = 0; m < N_METRICS; m++) {
        size_t k = dim_count(METRICS[m].dim);
        for (size_t s = 0; s < k; s++) {
            if (n >= SERIES_PER_TARGET)
                return -1;
            TEMPLATE[n].metric = (unsigned short)m;
            TEMPLATE[n].sub = (unsigned short)s;
            n++;
        }
    }
    return n == SERIES_PER_TARGET ? 0 : -1;
}

struct label {
    const char *name;
    const char *value;
};

static size_t series_labels(long i, char *inst, size_t inst_cap, struct label *out)
{
    long t = i / SERIES_PER_TARGET;
    const struct tmpl *tp = &TEMPLATE[i % SERIES_PER_TARGET];
    const struct mdef *md = &METRICS[tp->metric];
    snprintf(inst, inst_cap, "10.%ld.%ld.%ld:9100", (t >> 16) & 255, (t >> 8) & 255, t & 255);
    size_t n = 0;
    out[n++] = (struct label){"__name__", md->name};
    out[n++] = (struct label){"instance", inst};
    out[n++] = (struct label){"job", "node"};
    switch (md->dim) {
    case D_CPU:
        out[n++] = (struct label){"cpu", CPU_IDS[tp->sub / NELEM(CPU_MODES)]};
        out[n++] = (struct label){"mode", CPU_MODES[tp->sub % NELEM(CPU_MODES)]};
        break;
    case D_FS:
        out[n++] = (struct label){"device", FILESYSTEMS[tp->sub].device};
        out[n++] = (struct label){"fstype", FILESYSTEMS[tp->sub].fstype};
        out[n++] = (struct label){"mountpoint", FILESYSTEMS[tp->sub].mountpoint};
        break;
    case D_DISK: out[n++] = (struct label){"device", DISKS[tp->sub]}; break;
    case D_NET: out[n++] = (struct label){"device", NETDEVS[tp->sub]}; break;
    default: break;
    }
    /* insertion sort by name (at most 6) */
    for (size_t a = 1; a < n; a++) {
        struct label x = out[a];
        size_t b = a;
        while (b > 0 && strcmp(out[b - 1].name, x.name) > 0) {
            out[b] = out[b - 1];
            b--;
        }
        out[b] = x;
    }
    return n;
}

/* ---------------------------------------------------------------- protobuf encoding */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static void put_fixed64(uint8_t *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    for (int k = 0; k < 8; k++)
        p[k] = (uint8_t)(u >> (8 * k));
}

static int put_ts(uint8_t *p, int64_t ms)
{
    if (ms < (INT64_C(1) << 35) || ms >= (INT64_C(1) << 42))
        return -1;
    uint8_t *e = put_varint(p, (uint64_t)ms);
    return e - p == TS_VARINT_LEN ? 0 : -1;
}

/* One request's worth of series: raw protobuf WriteRequest, patched in place each round. */
struct slot {
    uint8_t *raw;
    size_t raw_len;
    long first; /* first series index */
    long count;
    uint32_t *val_off; /* offset of each sample's 8-byte value; timestamp varint at +9 */
    long done_round;   /* last round answered (or given up), -1 before any */
};

struct series_state {
    double *value;
    float *scale;
    unsigned char *kind;
    int32_t *toff_ms; /* per target offset within the scrape interval */
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unit_rand(uint64_t *s)
{
    return (double)(splitmix(s) >> 11) * 0x1.0p-53;
}

static int encode_slot(struct slot *sl, long first, long count, const struct series_state *st)
{
    size_t cap = (size_t)count * 160 + 64, len = 0;
    sl->raw = malloc(cap);
    sl->val_off = malloc((size_t)count * sizeof *sl->val_off);
    if (!sl->raw || !sl->val_off)
        return -1;
    sl->first = first;
    sl->count = count;
    sl->done_round = -1;
    for (long k = 0; k < count; k++) {
        long i = first + k;
        char inst[32];
        struct label lb[MAX_LABELS];
        size_t nl = series_labels(i, inst, sizeof inst, lb);
        size_t labels_len = 0;
        size_t lmsg[MAX_LABELS];
        for (size_t j = 0; j < nl; j++) {
            size_t nlen = strlen(lb[j].name), vlen = strlen(lb[j].value);
            lmsg[j] = 1 + varint_len(nlen) + nlen + 1 + varint_len(vlen) + vlen;
            labels_len += 1 + varint_len(lmsg[j]) + lmsg[j];
        }
        size_t ts_len = labels_len + 1 + 1 + SAMPLE_MSG_LEN;
        size_t need = 1 + varint_len(ts_len) + ts_len;
        if (len + need > cap) {
            while (len + need > cap)
                cap *= 2;
            uint8_t *nr = realloc(sl->raw, cap);
            if (!nr)
                return -1;
            sl->raw = nr;
        }
        uint8_t *p = sl->raw + len;
        *p++ = 0x0A; /* WriteRequest.timeseries */
        p = put_varint(p, ts_len);
        for (size_t j = 0; j < nl; j++) {
            size_t nlen = strlen(lb[j].name), vlen = strlen(lb[j].value);
            *p++ = 0x0A; /* TimeSeries.labels */
            p = put_varint(p, lmsg[j]);
            *p++ = 0x0A; /* Label.name */
            p = put_varint(p, nlen);
            memcpy(p, lb[j].name, nlen);
            p += nlen;
            *p++ = 0x12; /* Label.value */
            p = put_varint(p, vlen);
            memcpy(p, lb[j].value, vlen);
            p += vlen;
        }
        *p++ = 0x12; /* TimeSeries.samples */
        *p++ = SAMPLE_MSG_LEN;
        *p++ = 0x09; /* Sample.value, fixed64 */
        sl->val_off[k] = (uint32_t)(p - sl->raw);
        put_fixed64(p, st->value[i]);
        p += 8;
        *p++ = 0x10; /* Sample.timestamp, varint */
        if (put_ts(p, (int64_t)1 << 40) != 0)
            return -1;
        p += TS_VARINT_LEN;
        len = (size_t)(p - sl->raw);
        if (len > UINT32_MAX - 64)
            return -1;
    }
    sl->raw_len = len;
    return 0;
}

/* ---------------------------------------------------------------- shared run state */

struct run {
    const struct config *cfg;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    struct slot *slots;
    long nslots;
    struct series_state st;
    int64_t base_ms;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    long next_job, job_end;
    long requests_issued;
    double deadline; /* monotonic; 0 = none */
    long round0_left;
    double round0_done_t;
    atomic_int abort_run;
    double raw_bytes_per_sample;

    pthread_mutex_t print_mu;
    int printed_status[16];
    int n_printed_status;
    int printed_conn_err;
};

struct conn {
    struct run *run;
    pthread_t thread;
    int fd;
    bool reused;
    uint8_t *zbuf;
    size_t zcap;
    char rbuf[RBUF_CAP];
    size_t rlen;
    uint64_t rng;
    char hdr_prefix[768];
    size_t hdr_prefix_len;
    /* per phase */
    long req_2xx, req_4xx, req_5xx, req_other, errors, retries, consecutive_errors;
    long samples_2xx, samples_answered;
    uint64_t bytes_sent;
    uint32_t *lat_us;
    size_t nlat, caplat;
    int64_t max_ts;
};

static void note_conn_error(struct run *r, const char *what, int err)
{
    pthread_mutex_lock(&r->print_mu);
    if (r->printed_conn_err < 3) {
        r->printed_conn_err++;
        if (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT)
            fprintf(stderr, "rwload: connection error: %s: timed out (--timeout %.1f s)\n", what,
                    r->cfg->timeout_s);
        else if (err)
            fprintf(stderr, "rwload: connection error: %s: %s\n", what, strerror(err));
        else
            fprintf(stderr, "rwload: connection error: %s\n", what);
    }
    pthread_mutex_unlock(&r->print_mu);
}

static void note_status(struct run *r, int status, const char *line)
{
    pthread_mutex_lock(&r->print_mu);
    bool seen = false;
    for (int k = 0; k < r->n_printed_status; k++)
        if (r->printed_status[k] == status)
            seen = true;
    if (!seen && r->n_printed_status < (int)NELEM(r->printed_status)) {
        r->printed_status[r->n_printed_status++] = status;
        printf("rwload: first HTTP %d answer: %s\n", status, line[0] ? line : "(empty body)");
        fflush(stdout);
    }
    pthread_mutex_unlock(&r->print_mu);
}

/* ---------------------------------------------------------------- HTTP over raw sockets */

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
            return s6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

static int resolve(struct run *r)
{
    const struct config *cfg = r->cfg;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(cfg->host, cfg->port, &hints, &res);
    if (rc != 0 || !res) {
        fprintf(stderr, "rwload: cannot resolve %s: %s\n", cfg->host, gai_strerror(rc));
        return -1;
    }
    if (!is_loopback(res->ai_addr) && !cfg->allow_non_loopback) {
        fprintf(stderr, "rwload: %s is not a loopback address; pass --allow-non-loopback to "
                        "load a remote receiver\n", cfg->host);
        freeaddrinfo(res);
        return -1;
    }
    memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
    r->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->rlen = 0;
    c->reused = false;
}

static int conn_open(struct conn *c)
{
    struct run *r = c->run;
    int fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        note_conn_error(r, "socket", errno);
        return -1;
    }
    struct timeval tv;
    tv.tv_sec = (time_t)r->cfg->timeout_s;
    tv.tv_usec = (suseconds_t)((r->cfg->timeout_s - (double)tv.tv_sec) * 1e6);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* also bounds connect() */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&r->addr, r->addr_len) != 0) {
        note_conn_error(r, "connect", errno);
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->rlen = 0;
    c->reused = false;
    return 0;
}

/* -1 error, 0 EOF, >0 bytes */
static ssize_t conn_fill(struct conn *c, double deadline)
{
    if (c->rlen >= RBUF_CAP)
        return -1;
    if (now_mono() > deadline) {
        errno = ETIMEDOUT;
        return -1;
    }
    for (int tries = 0; tries < 100; tries++) {
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, RBUF_CAP - c->rlen, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            c->rlen += (size_t)n;
        return n;
    }
    return -1;
}

static void conn_drop(struct conn *c, size_t n)
{
    if (n >= c->rlen) {
        c->rlen = 0;
        return;
    }
    memmove(c->rbuf, c->rbuf + n, c->rlen - n);
    c->rlen -= n;
}

static long find_seq(const char *buf, size_t len, const char *pat, size_t plen)
{
    if (len < plen)
        return -1;
    for (size_t k = 0; k + plen <= len; k++)
        if (buf[k] == pat[0] && memcmp(buf + k, pat, plen) == 0)
            return (long)k;
    return -1;
}

static void capture(char *dst, size_t *dlen, const char *src, size_t n)
{
    while (n > 0 && *dlen < MAX_ERR_LINE) {
        char ch = *src++;
        n--;
        if (ch == '\n' || ch == '\r') {
            *dlen = MAX_ERR_LINE; /* first line only */
            break;
        }
        dst[(*dlen)++] = (ch >= 32 && ch < 127) ? ch : '?';
    }
}

static int consume_body(struct conn *c, uint64_t n, char *line, size_t *llen, double deadline)
{
    while (n > 0) {
        if (c->rlen == 0) {
            ssize_t got = conn_fill(c, deadline);
            if (got <= 0)
                return -1;
        }
        size_t m = c->rlen < n ? c->rlen : (size_t)n;
        capture(line, llen, c->rbuf, m);
        conn_drop(c, m);
        n -= m;
    }
    return 0;
}

static int need_line(struct conn *c, double deadline, long *eol)
{
    for (int guard = 0; guard < 1000; guard++) {
        *eol = find_seq(c->rbuf, c->rlen, "\r\n", 2);
        if (*eol >= 0)
            return 0;
        if (conn_fill(c, deadline) <= 0)
            return -1;
    }
    return -1;
}

/* Reads one response. Returns 0 and the status, -1 on a connection error; *got_any tells whether
 * any byte of the answer arrived. */
static int read_response(struct conn *c, int *status, char *line, bool *close_after,
                         bool *got_any, double deadline)
{
    size_t llen = 0;
    memset(line, 0, MAX_ERR_LINE + 1);
    *close_after = false;
    *got_any = false;
    for (int cont = 0; cont < 4; cont++) {
        long hend = -1;
        for (int guard = 0; guard < 1000; guard++) {
            hend = find_seq(c->rbuf, c->rlen, "\r\n\r\n", 4);
            if (hend >= 0)
                break;
            if (conn_fill(c, deadline) <= 0)
                return -1;
            *got_any = true;
        }
        if (hend < 0)
            return -1;
        *got_any = true;
        c->rbuf[hend] = '\0'; /* headers are text; replaced CR no longer needed */
        char *h = c->rbuf;
        int maj = 0, min = 0, st = 0;
        if (sscanf(h, "HTTP/%d.%d %d", &maj, &min, &st) != 3 || st < 100 || st > 999)
            return -1;
        bool http10 = (maj == 1 && min == 0);
        long long clen = -1;
        bool chunked = false, conn_close_hdr = http10, keep_alive = false;
        char *save = NULL;
        char *ln = strtok_r(h, "\r\n", &save); /* status line */
        for (ln = strtok_r(NULL, "\r\n", &save); ln; ln = strtok_r(NULL, "\r\n", &save)) {
            char *colon = strchr(ln, ':');
            if (!colon)
                continue;
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if (!strcasecmp(ln, "Content-Length"))
                clen = strtoll(v, NULL, 10);
            else if (!strcasecmp(ln, "Transfer-Encoding") && strstr(v, "chunked"))
                chunked = true;
            else if (!strcasecmp(ln, "Connection")) {
                if (!strncasecmp(v, "close", 5))
                    conn_close_hdr = true;
                else if (!strncasecmp(v, "keep-alive", 10))
                    keep_alive = true;
            }
        }
        if (http10 && keep_alive)
            conn_close_hdr = false;
        conn_drop(c, (size_t)hend + 4);
        if (st >= 100 && st < 200)
            continue; /* 100 Continue and friends: read the real answer */
        *status = st;
        *close_after = conn_close_hdr;
        line[0] = '\0';
        if (st == 204 || st == 304) {
            /* no body */
        } else if (chunked) {
            uint64_t total = 0;
            for (int chunks = 0;; chunks++) {
                long eol;
                if (chunks > 100000 || need_line(c, deadline, &eol) != 0)
                    return -1;
                c->rbuf[eol] = '\0';
                unsigned long long sz = strtoull(c->rbuf, NULL, 16);
                conn_drop(c, (size_t)eol + 2);
                total += sz;
                if (total > MAX_BODY_BYTES)
                    return -1;
                if (sz == 0) {
                    /* trailers until an empty line */
                    for (int tr = 0; tr < 100; tr++) {
                        if (need_line(c, deadline, &eol) != 0)
                            return -1;
                        conn_drop(c, (size_t)eol + 2);
                        if (eol == 0)
                            break;
                    }
                    break;
                }
                if (consume_body(c, sz, line, &llen, deadline) != 0)
                    return -1;
                char crlf[MAX_ERR_LINE + 1];
                size_t dummy = MAX_ERR_LINE;
                if (consume_body(c, 2, crlf, &dummy, deadline) != 0)
                    return -1;
            }
        } else if (clen >= 0) {
            if ((unsigned long long)clen > MAX_BODY_BYTES)
                return -1;
            if (consume_body(c, (uint64_t)clen, line, &llen, deadline) != 0)
                return -1;
        } else {
            /* body until EOF */
            uint64_t total = 0;
            for (;;) {
                if (c->rlen > 0) {
                    capture(line, &llen, c->rbuf, c->rlen);
                    total += c->rlen;
                    c->rlen = 0;
                }
                if (total > MAX_BODY_BYTES)
                    return -1;
                ssize_t got = conn_fill(c, deadline);
                if (got < 0)
                    return -1;
                if (got == 0)
                    break;
            }
            *close_after = true;
        }
        line[llen < MAX_ERR_LINE ? llen : MAX_ERR_LINE] = '\0';
        return 0;
    }
    return -1;
}

static int send_all(struct conn *c, const char *hdr, size_t hlen, const uint8_t *body, size_t blen)
{
    struct iovec iov[2] = {{(void *)(uintptr_t)hdr, hlen}, {(void *)(uintptr_t)body, blen}};
    int idx = 0;
    size_t left = hlen + blen;
    for (int guard = 0; left > 0 && guard < 100000; guard++) {
        struct msghdr mh;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = iov + idx;
        mh.msg_iovlen = (size_t)(2 - idx);
        ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        left -= (size_t)n;
        size_t k = (size_t)n;
        while (k > 0 && idx < 2) {
            if (k >= iov[idx].iov_len) {
                k -= iov[idx].iov_len;
                iov[idx].iov_len = 0;
                idx++;
            } else {
                iov[idx].iov_base = (char *)iov[idx].iov_base + k;
                iov[idx].iov_len -= k;
                k = 0;
            }
        }
    }
    return left == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- one request */

static void patch_slot(struct conn *c, struct slot *sl, long round)
{
    struct run *r = c->run;
    const struct series_state *st = &r->st;
    int64_t base = r->base_ms + (int64_t)round * SCRAPE_INTERVAL_MS;
    for (long k = 0; k < sl->count; k++) {
        long i = sl->first + k;
        double v = st->value[i];
        if (round > 0) {
            double u = unit_rand(&c->rng);
            switch (st->kind[i]) {
            case K_COUNTER: v += (double)st->scale[i] * u; break;
            case K_GAUGE:
                v += (double)st->scale[i] * (u - 0.5);
                if (v < 0)
                    v = -v;
                break;
            default: break;
            }
            st->value[i] = v;
        }
        uint8_t *p = sl->raw + sl->val_off[k];
        put_fixed64(p, v);
        int64_t ts = base + st->toff_ms[i / SERIES_PER_TARGET];
        if (ts > c->max_ts)
            c->max_ts = ts;
        (void)put_ts(p + 9, ts); /* range checked before the run */
    }
}

static void record_latency(struct conn *c, double secs)
{
    if (c->nlat == c->caplat) {
        size_t ncap = c->caplat ? c->caplat * 2 : 4096;
        uint32_t *n = realloc(c->lat_us, ncap * sizeof *n);
        if (!n)
            return;
        c->lat_us = n;
        c->caplat = ncap;
    }
    double us = secs * 1e6;
    c->lat_us[c->nlat++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

static void do_request(struct conn *c, long round, long slot_idx)
{
    struct run *r = c->run;
    struct slot *sl = &r->slots[slot_idx];
    patch_slot(c, sl, round);
    size_t zlen = c->zcap;
    if (snappy_compress((const char *)sl->raw, sl->raw_len, (char *)c->zbuf, &zlen) != SNAPPY_OK) {
        c->errors++;
        c->consecutive_errors++;
        note_conn_error(r, "snappy_compress failed", 0);
        return;
    }
    char hdr[900];
    memcpy(hdr, c->hdr_prefix, c->hdr_prefix_len);
    int hl = snprintf(hdr + c->hdr_prefix_len, sizeof hdr - c->hdr_prefix_len, "%zu\r\n\r\n", zlen);
    size_t hlen = c->hdr_prefix_len + (size_t)hl;

    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0 && conn_open(c) != 0)
            break;
        bool was_reused = c->reused;
        double t0 = now_mono();
        double deadline = t0 + 3 * r->cfg->timeout_s;
        int status = 0;
        bool close_after = false, got_any = false;
        char line[MAX_ERR_LINE + 1];
        if (send_all(c, hdr, hlen, c->zbuf, zlen) != 0) {
            int e = errno;
            conn_close(c);
            if (was_reused && attempt == 0) {
                c->retries++;
                continue; /* stale keep-alive connection: once more on a fresh one */
            }
            note_conn_error(r, "send", e);
            break;
        }
        if (read_response(c, &status, line, &close_after, &got_any, deadline) != 0) {
            int e = errno;
            conn_close(c);
            if (was_reused && !got_any && attempt == 0 && e != EAGAIN && e != ETIMEDOUT) {
                c->retries++;
                continue;
            }
            note_conn_error(r, got_any ? "bad or partial response" : "no response", e);
            break;
        }
        double t1 = now_mono();
        record_latency(c, t1 - t0);
        c->bytes_sent += hlen + zlen;
        c->samples_answered += sl->count;
        c->consecutive_errors = 0;
        if (status >= 200 && status < 300) {
            c->req_2xx++;
            c->samples_2xx += sl->count;
        } else {
            if (status >= 400 && status < 500)
                c->req_4xx++;
            else if (status >= 500 && status < 600)
                c->req_5xx++;
            else
                c->req_other++;
            note_status(r, status, line);
        }
        if (close_after)
            conn_close(c);
        else
            c->reused = true;
        return;
    }
    c->errors++;
    c->consecutive_errors++;
}

/* ---------------------------------------------------------------- job scheduling */

/* Jobs are dispensed in (round, slot) order; a slot's next round waits for its previous answer. */
static long take_job(struct run *r)
{
    long job = -1;
    pthread_mutex_lock(&r->mu);
    if (!atomic_load(&r->abort_run) && r->next_job < r->job_end &&
        r->requests_issued < r->cfg->max_requests && (r->deadline == 0 || now_mono() < r->deadline)) {
        job = r->next_job++;
        r->requests_issued++;
    }
    pthread_mutex_unlock(&r->mu);
    return job;
}

static int wait_slot(struct run *r, long slot_idx, long prev_round)
{
    int rc = 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double limit = 6 * r->cfg->timeout_s + 5;
    until.tv_sec += (time_t)limit;
    pthread_mutex_lock(&r->mu);
    while (r->slots[slot_idx].done_round < prev_round) {
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT) {
            rc = -1;
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static void mark_done(struct run *r, long slot_idx, long round)
{
    pthread_mutex_lock(&r->mu);
    if (r->slots[slot_idx].done_round < round)
        r->slots[slot_idx].done_round = round;
    if (round == 0 && r->round0_left > 0 && --r->round0_left == 0)
        r->round0_done_t = now_mono();
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    struct run *r = c->run;
    for (long guard = 0; guard < r->cfg->max_requests; guard++) {
        long job = take_job(r);
        if (job < 0)
            break;
        long round = job / r->nslots, s = job % r->nslots;
        if (wait_slot(r, s, round - 1) != 0) {
            c->errors++;
            note_conn_error(r, "previous round of a request never finished", 0);
            mark_done(r, s, round);
            continue;
        }
        do_request(c, round, s);
        mark_done(r, s, round);
        if (c->consecutive_errors >= MAX_CONSECUTIVE_ERRORS) {
            if (!atomic_exchange(&r->abort_run, 1))
                fprintf(stderr, "rwload: %d connection errors in a row, stopping\n",
                        MAX_CONSECUTIVE_ERRORS);
            break;
        }
        if (c->errors > 0 && c->consecutive_errors > 0)
            usleep(10000); /* do not spin on a dead receiver */
    }
    return NULL;
}

/* ---------------------------------------------------------------- phases and report */

struct phase_result {
    double duration_s;
    long requests, req_2xx, req_4xx, req_5xx, req_other, errors, retries;
    long samples_2xx, samples_answered;
    uint64_t bytes_sent;
    double gen_cpu_s;
    struct proc_sample rx_before, rx_after;
    double p50_ms, p99_ms, max_ms;
    double round0_s;
    int64_t max_ts;
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double pct(const uint32_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t idx = (size_t)ceil(p * (double)n);
    if (idx > 0)
        idx--;
    if (idx >= n)
        idx = n - 1;
    return v[idx] / 1000.0;
}

static int run_phase(struct run *r, struct conn *conns, long job_start, long job_end,
                     double max_seconds, struct phase_result *out)
{
    const struct config *cfg = r->cfg;
    memset(out, 0, sizeof *out);
    for (long k = 0; k < cfg->connections; k++) {
        struct conn *c = &conns[k];
        c->req_2xx = c->req_4xx = c->req_5xx = c->req_other = 0;
        c->errors = c->retries = c->consecutive_errors = 0;
        c->samples_2xx = c->samples_answered = 0;
        c->bytes_sent = 0;
        c->nlat = 0;
        c->max_ts = 0;
    }
    r->next_job = job_start;
    r->job_end = job_end;
    r->round0_left = job_start == 0 ? r->nslots : 0;
    r->round0_done_t = 0;
    out->rx_before = read_proc(cfg->pid);
    double cpu0 = self_cpu_s();
    double t0 = now_mono();
    r->deadline = t0 + max_seconds;
    long started = 0;
    for (long k = 0; k < cfg->connections; k++) {
        if (pthread_create(&conns[k].thread, NULL, conn_main, &conns[k]) != 0) {
            fprintf(stderr, "rwload: pthread_create failed\n");
            atomic_store(&r->abort_run, 1);
            break;
        }
        started++;
    }
    for (long k = 0; k < started; k++)
        pthread_join(conns[k].thread, NULL);
    double t1 = now_mono();
    out->gen_cpu_s = self_cpu_s() - cpu0;
    out->rx_after = read_proc(cfg->pid);
    out->duration_s = t1 - t0;
    out->round0_s = r->round0_done_t > 0 ? r->round0_done_t - t0 : 0;

    size_t nlat = 0;
    for (long k = 0; k < started; k++)
        nlat += conns[k].nlat;
    uint32_t *all = malloc((nlat ? nlat : 1) * sizeof *all);
    size_t pos = 0;
    for (long k = 0; k < started; k++) {
        struct conn *c = &conns[k];
        out->req_2xx += c->req_2xx;
        out->req_4xx += c->req_4xx;
        out->req_5xx += c->req_5xx;
        out->req_other += c->req_other;
        out->errors += c->errors;
        out->retries += c->retries;
        out->samples_2xx += c->samples_2xx;
        out->samples_answered += c->samples_answered;
        out->bytes_sent += c->bytes_sent;
        if (c->max_ts > out->max_ts)
            out->max_ts = c->max_ts;
        if (all && c->nlat) {
            memcpy(all + pos, c->lat_us, c->nlat * sizeof *all);
            pos += c->nlat;
        }
    }
    out->requests = out->req_2xx + out->req_4xx + out->req_5xx + out->req_other + out->errors;
    if (all) {
        qsort(all, pos, sizeof *all, cmp_u32);
        out->p50_ms = pct(all, pos, 0.50);
        out->p99_ms = pct(all, pos, 0.99);
        out->max_ms = pos ? all[pos - 1] / 1000.0 : 0;
        free(all);
    }
    return 0;
}

static void print_result(const struct run *r, const char *phase, const struct phase_result *p,
                         long samples_2xx_total)
{
    const struct config *cfg = r->cfg;
    double d = p->duration_s > 0 ? p->duration_s : 1e-9;
    double ms = (double)p->samples_2xx / 1e6;
    char rx_cpu[32] = "na", rx_cpu_pm[32] = "na", rx_cores[32] = "na";
    long rss = p->rx_after.ok ? p->rx_after.rss_bytes : -1;
    long rss_before = p->rx_before.ok ? p->rx_before.rss_bytes : -1;
    if (p->rx_before.ok && p->rx_after.ok) {
        double c = p->rx_after.cpu_s - p->rx_before.cpu_s;
        snprintf(rx_cpu, sizeof rx_cpu, "%.3f", c);
        snprintf(rx_cores, sizeof rx_cores, "%.3f", c / d);
        if (ms > 0)
            snprintf(rx_cpu_pm, sizeof rx_cpu_pm, "%.4f", c / ms);
    }
    double gen_pm = ms > 0 ? p->gen_cpu_s / ms : 0;
    long non2xx = p->req_4xx + p->req_5xx + p->req_other;
    double answered_ms = (double)p->samples_answered;
    double wire_bps = answered_ms > 0 ? (double)p->bytes_sent / answered_ms : 0;
    int64_t lag_s = p->max_ts ? (now_wall_ms() - p->max_ts) / 1000 : 0;

    printf("RESULT phase=%s series=%ld samples_per_request=%ld connections=%ld duration_s=%.3f "
           "samples=%ld samples_per_s=%.0f receiver_cpu_s=%s receiver_cpu_s_per_msample=%s "
           "receiver_rss_bytes=%ld gen_cpu_s_per_msample=%.4f p50_ms=%.3f p99_ms=%.3f "
           "non2xx=%ld errors=%ld",
           phase, cfg->series, cfg->spr, cfg->connections, p->duration_s, p->samples_2xx,
           (double)p->samples_2xx / d, rx_cpu, rx_cpu_pm, rss, gen_pm, p->p50_ms, p->p99_ms,
           non2xx, p->errors);
    if (!strcmp(phase, "warmup")) {
        bool clean = p->errors == 0 && p->req_4xx + p->req_5xx + p->req_other == 0;
        double ns = clean && p->round0_s > 0 ? (double)cfg->series / p->round0_s : 0;
        printf(" new_series_per_s=%.0f", ns);
    }
    printf(" requests=%ld http_2xx=%ld http_4xx=%ld http_5xx=%ld retries=%ld receiver_cores=%s "
           "receiver_rss_before_bytes=%ld gen_cpu_s=%.3f gen_cores=%.3f max_ms=%.3f "
           "wire_bytes_per_sample=%.2f raw_bytes_per_sample=%.2f rounds=%.2f "
           "last_ts_age_s=%lld samples_2xx_total=%ld\n",
           p->requests, p->req_2xx, p->req_4xx, p->req_5xx, p->retries, rx_cores, rss_before,
           p->gen_cpu_s, p->gen_cpu_s / d, p->max_ms, wire_bps,
           r->raw_bytes_per_sample, (double)p->samples_answered / (double)cfg->series,
           (long long)lag_s, samples_2xx_total);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct config cfg;
    if (parse_args(argc, argv, &cfg) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    if (build_template() != 0) {
        fprintf(stderr, "rwload: internal error: target template is not %d series\n",
                SERIES_PER_TARGET);
        return 1;
    }

    static struct run run;
    struct run *r = &run;
    r->cfg = &cfg;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    pthread_mutex_init(&r->print_mu, NULL);
    atomic_init(&r->abort_run, 0);
    if (resolve(r) != 0)
        return 2;

    /* series state */
    long n = cfg.series;
    long targets = (n + SERIES_PER_TARGET - 1) / SERIES_PER_TARGET;
    r->st.value = malloc((size_t)n * sizeof *r->st.value);
    r->st.scale = malloc((size_t)n * sizeof *r->st.scale);
    r->st.kind = malloc((size_t)n);
    r->st.toff_ms = malloc((size_t)targets * sizeof *r->st.toff_ms);
    if (!r->st.value || !r->st.scale || !r->st.kind || !r->st.toff_ms) {
        fprintf(stderr, "rwload: out of memory\n");
        return 1;
    }
    uint64_t rng = cfg.seed * 0x2545F4914F6CDD1DULL + 12345;
    for (long t = 0; t < targets; t++)
        r->st.toff_ms[t] = (int32_t)(splitmix(&rng) % SCRAPE_INTERVAL_MS);
    for (long i = 0; i < n; i++) {
        const struct mdef *md = &METRICS[TEMPLATE[i % SERIES_PER_TARGET].metric];
        double f = 0.5 + unit_rand(&rng);
        r->st.kind[i] = md->kind;
        r->st.value[i] = md->kind == K_CONST ? md->base : md->base * f;
        if (md->kind == K_GAUGE || md->kind == K_COUNTER)
            r->st.value[i] = floor(r->st.value[i]) + (md->scale < 10 ? unit_rand(&rng) : 0);
        r->st.scale[i] = (float)(md->scale * (0.5 + unit_rand(&rng)));
    }

    /* request bodies, encoded once */
    r->nslots = (n + cfg.spr - 1) / cfg.spr;
    r->slots = calloc((size_t)r->nslots, sizeof *r->slots);
    if (!r->slots)
        return 1;
    size_t max_raw = 0, total_raw = 0;
    double enc0 = self_cpu_s();
    for (long s = 0; s < r->nslots; s++) {
        long first = s * cfg.spr;
        long count = first + cfg.spr <= n ? cfg.spr : n - first;
        if (encode_slot(&r->slots[s], first, count, &r->st) != 0) {
            fprintf(stderr, "rwload: out of memory encoding requests\n");
            return 1;
        }
        if (r->slots[s].raw_len > max_raw)
            max_raw = r->slots[s].raw_len;
        total_raw += r->slots[s].raw_len;
    }
    double enc_s = self_cpu_s() - enc0;
    r->raw_bytes_per_sample = (double)total_raw / (double)n;

    /* timestamps: round 0 is --start-hours-ago (24 h) ago; rounds stop before the 6-byte varint
     * would overflow */
    r->base_ms = now_wall_ms() - (int64_t)(cfg.start_ago_h * 3600 * 1000);
    r->base_ms -= r->base_ms % 1000;
    long max_rounds = (long)(((INT64_C(1) << 42) - 1 - r->base_ms - SCRAPE_INTERVAL_MS) /
                             SCRAPE_INTERVAL_MS);
    long round_cap = cfg.max_requests / r->nslots + 2;
    if (round_cap > max_rounds) {
        /* the cap is on requests; the job bound below keeps rounds within range */
        round_cap = max_rounds;
    }

    static struct conn *conns;
    conns = calloc((size_t)cfg.connections, sizeof *conns);
    if (!conns)
        return 1;
    for (long k = 0; k < cfg.connections; k++) {
        struct conn *c = &conns[k];
        c->run = r;
        c->fd = -1;
        c->zcap = snappy_max_compressed_length(max_raw);
        c->zbuf = malloc(c->zcap);
        if (!c->zbuf)
            return 1;
        c->rng = cfg.seed * 0x9E3779B97F4A7C15ULL + (uint64_t)k * 7919 + 1;
        int pl = snprintf(c->hdr_prefix, sizeof c->hdr_prefix,
                          "POST %s HTTP/1.1\r\n"
                          "Host: %s\r\n"
                          "User-Agent: rwload/1.0\r\n"
                          "Content-Encoding: snappy\r\n"
                          "Content-Type: application/x-protobuf\r\n"
                          "X-Prometheus-Remote-Write-Version: 0.1.0\r\n"
                          "Content-Length: ",
                          cfg.path, cfg.host_header);
        if (pl < 0 || (size_t)pl >= sizeof c->hdr_prefix)
            return 1;
        c->hdr_prefix_len = (size_t)pl;
    }

    printf("rwload: %s series=%ld targets=%ld requests/round=%ld samples/request=%ld "
           "connections=%ld raw=%.1f B/sample encode_once=%.3f s\n",
           cfg.url, n, targets, r->nslots, cfg.spr, cfg.connections,
           (double)total_raw / (double)n, enc_s);
    fflush(stdout);

    long warm_jobs = cfg.warmup_rounds * r->nslots;
    long all_jobs_end = round_cap * r->nslots;
    if (warm_jobs > all_jobs_end)
        warm_jobs = all_jobs_end;
    struct phase_result warm, meas;
    long total_2xx = 0;
    if (warm_jobs > 0) {
        run_phase(r, conns, 0, warm_jobs, cfg.warmup_max_s, &warm);
        total_2xx += warm.samples_2xx;
        print_result(r, "warmup", &warm, total_2xx);
        if (r->next_job < warm_jobs) {
            fprintf(stderr, "rwload: warm-up stopped after %ld of %ld requests\n",
                    r->next_job, warm_jobs);
            r->next_job = warm_jobs; /* later rounds stay after every sent round */
            for (long s = 0; s < r->nslots; s++)
                if (r->slots[s].done_round < cfg.warmup_rounds - 1)
                    r->slots[s].done_round = cfg.warmup_rounds - 1;
        }
    }
    long meas_start = r->next_job;
    if (!atomic_load(&r->abort_run))
        run_phase(r, conns, meas_start, all_jobs_end, cfg.duration_s, &meas);
    else
        memset(&meas, 0, sizeof meas);
    total_2xx += meas.samples_2xx;
    if (meas.max_ts > now_wall_ms())
        fprintf(stderr, "rwload: note: timestamps ran %lld s ahead of the clock\n",
                (long long)((meas.max_ts - now_wall_ms()) / 1000));
    print_result(r, "measure", &meas, total_2xx);

    for (long k = 0; k < cfg.connections; k++) {
        conn_close(&conns[k]);
        free(conns[k].zbuf);
        free(conns[k].lat_us);
    }
    for (long s = 0; s < r->nslots; s++) {
        free(r->slots[s].raw);
        free(r->slots[s].val_off);
    }
    free(r->slots);
    free(conns);
    free(r->st.value);
    free(r->st.scale);
    free(r->st.kind);
    free(r->st.toff_ms);
    long bad = meas.req_4xx + meas.req_5xx + meas.req_other + meas.errors;
    if (warm_jobs > 0)
        bad += warm.req_4xx + warm.req_5xx + warm.req_other + warm.errors;
    return bad > 0 || atomic_load(&r->abort_run) ? 1 : 0;
}
