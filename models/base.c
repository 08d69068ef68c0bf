/* SPDX-License-Identifier: Apache-2.0
 * models/base.c -- text for the MAI_E* error codes, and a qsort comparator for doubles. */
#include "base.h"

const char *mai_strerror(int code)
{
    if (code < 0)
        code = -code;
    switch (code) {
    case MAI_OK: return "ok";
    case MAI_EINVAL: return "invalid argument";
    case MAI_ENOMEM: return "out of memory";
    case MAI_EPROTO: return "malformed input";
    case MAI_ETOOBIG: return "input over limit";
    case MAI_ELIMIT: return "capacity limit reached";
    case MAI_EIO: return "i/o error";
    case MAI_ENOTSUP: return "not supported";
    default: return "unknown error";
    }
}

int mai_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
