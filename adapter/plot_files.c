/* SPDX-License-Identifier: Apache-2.0
 * adapter/plot_files.c -- the FORECAST_PLOTS_DIR index and file lookup behind GET /plots/ (see
 * plot_files.h). Containment is checked on real paths: realpath(dir)/ must prefix
 * realpath(dir/name), and the resolved path is opened with O_NOFOLLOW and checked with fstat. */
#include "adapter/plot_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* URL path segment: unreserved bytes as they are, the rest %XX. */
static void url_esc(expo_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            expo_append(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            expo_append(b, e, 3);
        }
    }
}

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= NAME_MAX && name[0] != '.' && !strchr(name, '/');
}

static const char *content_type(const char *name)
{
    size_t n = strlen(name);
    if (n > 4 && strcmp(name + n - 4, ".png") == 0)
        return "image/png";
    if (n > 4 && strcmp(name + n - 4, ".csv") == 0)
        return "text/csv; charset=utf-8";
    return "application/octet-stream";
}

int plot_files_open(const char *dir, const char *name, uint64_t *size, const char **ctype)
{
    if (!valid_name(name))
        return -400;
    char root[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
    if (!realpath(dir, root))
        return -404;
    size_t rl = strlen(root);
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, name) >= sizeof path ||
        !realpath(path, real))
        return -404;
    /* inside: root + '/' + something (root "/" itself has the slash) */
    size_t pre = rl == 1 ? 1 : rl + 1;
    if (strncmp(real, root, rl) != 0 || (rl > 1 && real[rl] != '/') || strlen(real) <= pre)
        return -404;
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -404;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -404;
    }
    *size = (uint64_t)st.st_size;
    *ctype = content_type(name);
    return fd;
}

typedef struct entry {
    char *name;
    uint64_t size;
    time_t mtime;
} entry;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

int plot_files_index(const char *dir, const char *href_base, expo_buf *out)
{
    entry *e = NULL;
    size_t n = 0, cap = 0;
    int oom = 0;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) && !oom) {
            if (!valid_name(de->d_name))
                continue;
            struct stat st;
            /* regular files only; a symlink is listed when it leads to one inside dir */
            uint64_t size;
            const char *ct;
            int fd = plot_files_open(dir, de->d_name, &size, &ct);
            if (fd < 0)
                continue;
            int ok = fstat(fd, &st) == 0;
            close(fd);
            if (!ok)
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                entry *ne = realloc(e, nc * sizeof *ne);
                if (!ne) {
                    oom = 1;
                    break;
                }
                e = ne;
                cap = nc;
            }
            e[n].name = strdup(de->d_name);
            if (!e[n].name) {
                oom = 1;
                break;
            }
            e[n].size = size;
            e[n].mtime = st.st_mtime;
            n++;
        }
        closedir(d);
    }
    if (n > 1)
        qsort(e, n, sizeof *e, by_name);
    expo_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>metrics-ai plots"
             "</title></head>\n<body>\n<h1>Forecast plots</h1>\n");
    if (!d)
        expo_puts(out, "<p>No plots written yet.</p>\n");
    else
        expo_printf(out, "<p>%zu file%s.</p>\n", n, n == 1 ? "" : "s");
    if (n) {
        expo_puts(out, "<table>\n<tr><th>file</th><th>bytes</th><th>modified (UTC)</th></tr>\n");
        for (size_t i = 0; i < n; i++) {
            struct tm tm;
            char when[32] = "";
            if (gmtime_r(&e[i].mtime, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
            expo_puts(out, "<tr><td><a href=\"");
            expo_html(out, href_base);
            url_esc(out, e[i].name);
            expo_puts(out, "\">");
            expo_html(out, e[i].name);
            expo_printf(out, "</a></td><td>%llu</td><td>%s</td></tr>\n",
                        (unsigned long long)e[i].size, when);
        }
        expo_puts(out, "</table>\n");
    }
    expo_puts(out, "<p><a href=\"/\">status</a></p>\n</body></html>\n");
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
    return oom || out->oom ? -1 : 0;
}
