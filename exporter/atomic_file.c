/* SPDX-License-Identifier: Apache-2.0
 * exporter/atomic_file.c -- whole-or-nothing output files (see atomic_file.h). */
#include "exporter/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *what, const char *path, int e)
{
    if (err && errlen)
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
    return -1;
}

int atomic_mkdirs(const char *dir)
{
    size_t len = strlen(dir);
    char *p = malloc(len + 1);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(p, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            free(p);
            errno = e;
            return -1;
        }
        p[i] = c;
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static void release(atomic_file *a)
{
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->f = NULL;
}

int atomic_open(atomic_file *a, const char *dir, const char *name, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (err && errlen)
        err[0] = '\0';
    if (!dir || !*dir)
        dir = ".";
    size_t plen = strlen(dir) + strlen(name) + sizeof "/..XXXXXX";
    a->path = malloc(plen);
    a->tmp = malloc(plen);
    if (!a->path || !a->tmp) {
        release(a);
        return fail(err, errlen, "cannot write", name, ENOMEM);
    }
    snprintf(a->path, plen, "%s/%s", dir, name);
    snprintf(a->tmp, plen, "%s/.%s.XXXXXX", dir, name);
    if (atomic_mkdirs(dir) != 0) {
        fail(err, errlen, "cannot create directory for", a->path, errno);
        release(a);
        return -1;
    }
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        fail(err, errlen, "cannot write", a->path, errno);
        release(a);
        return -1;
    }
    (void)fchmod(fd, 0644);     /* an output file, readable like any other */
    a->f = fdopen(fd, "w");
    if (!a->f) {
        fail(err, errlen, "cannot write", a->path, errno);
        close(fd);
        unlink(a->tmp);
        release(a);
        return -1;
    }
    return 0;
}

int atomic_commit(atomic_file *a, char *err, size_t errlen)
{
    int e = 0;
    if (fflush(a->f) != 0 || ferror(a->f))
        e = errno ? errno : EIO;
    else if (fsync(fileno(a->f)) != 0)
        e = errno;
    if (fclose(a->f) != 0 && !e)
        e = errno ? errno : EIO;
    if (!e && rename(a->tmp, a->path) != 0)
        e = errno;
    if (e) {
        unlink(a->tmp);
        fail(err, errlen, "cannot write", a->path, e);
        release(a);
        return -1;
    }
    /* make the rename itself durable; a failure here leaves a complete file, so it is ignored */
    char *slash = strrchr(a->path, '/');
    if (slash) {
        *slash = '\0';
        int dfd = open(a->path, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    release(a);
    return 0;
}

void atomic_abort(atomic_file *a)
{
    if (a->f) {
        fclose(a->f);
        unlink(a->tmp);
    }
    release(a);
}
