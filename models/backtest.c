/* SPDX-License-Identifier: Apache-2.0
 * models/backtest.c -- rolling-origin backtest (see backtest.h). The metrics follow Hyndman &
 * Koehler 2006 (MASE) and the usual symmetric MAPE (0 when truth and forecast are both 0). */
#include "backtest.h"

#include <math.h>
#include <string.h>

#include "base.h"

size_t backtest_work_size(const ens_config *c)
{
    uint32_t h = c->nh ? c->horizons[c->nh - 1] : 1;
    return ens_work_size(c, h) + 3 * (size_t)h * sizeof(double);
}

typedef struct acc {
    double abs, sq, smape, inside, n;
} acc;

static void add(acc *a, double y, double f, double lo, double hi)
{
    double e = y - f;
    a->abs += fabs(e);
    a->sq += e * e;
    double den = fabs(y) + fabs(f);
    a->smape += den > 0 ? 200 * fabs(e) / den : 0;
    a->inside += (y >= lo && y <= hi);
    a->n += 1;
}

int backtest_run(const ens_config *c, const double *y, size_t n, double train_fraction,
                 uint32_t origins, void *state, void *scratch, void *work, bt_result *out)
{
    memset(out, 0, sizeof *out);
    uint32_t maxh = c->horizons[c->nh - 1];
    size_t ntrain = (size_t)(train_fraction * (double)n);
    if (ntrain < 2 || ntrain >= n || origins == 0)
        return -MAI_EINVAL;
    out->nh = c->nh;
    out->nm = c->nm;
    out->ntrain = ntrain;
    for (uint32_t j = 0; j < c->nh; j++)
        out->horizons[j] = c->horizons[j];
    for (uint32_t m = 0; m < c->nm; m++)
        out->names[m] = c->members[m]->name;
    out->names[c->nm] = "ensemble";
    double sum = 0, cnt = 0;
    for (size_t i = 1; i < ntrain; i++)
        if (isfinite(y[i]) && isfinite(y[i - 1])) {
            sum += fabs(y[i] - y[i - 1]);
            cnt++;
        }
    out->scale = cnt > 0 ? sum / cnt : 0;

    size_t start = ntrain > c->p.max_history ? ntrain - c->p.max_history : 0;
    if (ens_init(state, c) != 0)
        return -MAI_EINVAL;
    ens_fit(state, y + start, ntrain - start, 0, scratch, work);
    double *path = (double *)((char *)work + ens_work_size(c, maxh));
    acc a[ENS_MAX_HORIZONS][ENS_MAX_MEMBERS + 1];
    memset(a, 0, sizeof a);
    size_t fed = ntrain;            /* points the state has seen */
    size_t span = n - ntrain;
    for (uint32_t k = 0; k < origins; k++) {
        size_t o = ntrain - 1 + (size_t)((double)k * (double)span / origins);
        for (; fed <= o; fed++)
            ens_update(state, y[fed], work);
        for (uint32_t m = 0; m <= c->nm; m++) {
            fc_output fo = {path, path + maxh, path + 2 * maxh, NULL, NULL};
            if (m < c->nm)
                ens_member_forecast(state, m, maxh, &fo);
            else
                ens_forecast(state, maxh, &fo, work);
            for (uint32_t j = 0; j < c->nh; j++) {
                size_t t = o + c->horizons[j];
                if (t >= n || !isfinite(y[t]))
                    continue;
                uint32_t h = c->horizons[j] - 1;
                add(&a[j][m], y[t], path[h], path[maxh + h], path[2 * maxh + h]);
            }
        }
    }
    for (uint32_t j = 0; j < c->nh; j++)
        for (uint32_t m = 0; m <= c->nm; m++) {
            acc *x = &a[j][m];
            bt_metrics *r = &out->m[j][m];
            r->n = (uint32_t)x->n;
            if (x->n == 0) {
                r->mae = r->rmse = r->mase = r->smape = r->coverage80 = NAN;
                continue;
            }
            r->mae = x->abs / x->n;
            r->rmse = sqrt(x->sq / x->n);
            r->mase = out->scale > 0 ? r->mae / out->scale : NAN;
            r->smape = x->smape / x->n;
            r->coverage80 = x->inside / x->n;
        }
    return 0;
}
