#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# tests/unit/known/hw_reference.py -- produces the reference numbers that tests/unit/test_hw.c
# holds for the Holt-Winters member (models/hw.c). Run by hand only; the test does not need it:
#   apt-get install -y python3-statsmodels      # Debian 12: statsmodels 0.13.5, numpy 1.24.2
#   /usr/bin/python3 tests/unit/known/hw_reference.py
# It prints C initialisers to paste into test_hw.c.
import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

M = 12                  # season length
N = 120                 # 10 seasons
H = 24                  # forecast steps

# The series: level 50, slope 0.3 per step, a two-harmonic season, N(0, 1) noise (seed 7),
# rounded to 3 decimals so that the C copy is exact.
rng = np.random.RandomState(7)
t = np.arange(N)
y = 50 + 0.3 * t + 8 * np.sin(2 * np.pi * t / M) + 3 * np.cos(4 * np.pi * t / M) + rng.normal(0, 1, N)
y = np.round(y, 3)


def carr(name, v, per=6, fmt="%.17g"):
    body = ",\n".join("    " + ", ".join(fmt % x for x in v[i:i + per]) for i in range(0, len(v), per))
    return "static const double %s[%d] = {\n%s,\n};" % (name, len(v), body)


print("/* statsmodels %s, numpy %s */" % (statsmodels.__version__, np.__version__))
print(carr("ref_y", y, 8, "%.3f"))

# A. Fixed parameters and initial states: the recursion, the forecast mean and the variance
#    expression must agree to rounding. ETSModel takes the innovations-form beta; hw.c's beta is
#    the same (ExponentialSmoothing's smoothing_trend is beta* = beta / alpha).
alpha, bstar, gamma, phi = 0.35, 0.1, 0.2, 0.9
l0, b0 = 49.5, 0.28
s0 = np.round(8 * np.sin(2 * np.pi * t[:M] / M) + 3 * np.cos(4 * np.pi * t[:M] / M), 3)
s0 = s0 - s0.mean()
ets = ETSModel(y, error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=M,
               initialization_method="known", initial_level=l0, initial_trend=b0,
               initial_seasonal=s0)
eres = ets.smooth([alpha, alpha * bstar, gamma, phi])
print("/* A: alpha %.17g beta %.17g gamma %.17g phi %.17g l0 %.17g b0 %.17g, sse %.17g */"
      % (alpha, alpha * bstar, gamma, phi, l0, b0, eres.sse))
print(carr("ref_a_s0", s0, 6))
print(carr("ref_a_fc", eres.forecast(H), 4))
# Relative forecast variance v_h / sigma2 (FPP3 8.7 table, row ETS(A,Ad,A), as statsmodels codes it).
print(carr("ref_a_relvar", eres._relative_forecast_variance(np.arange(1, H + 1)), 4))

# The Holt-Winters class gives the same numbers except at h = m, 2m, ...: statsmodels 0.13
# forecasts those steps with s_{T-m} instead of s_T (statsmodels issue #9538, fixed by PR #10230
# in later releases). Shown here, not used by the test.
hw = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=M,
                          initialization_method="known", initial_level=l0, initial_trend=b0,
                          initial_seasonal=s0)
hres = hw.fit(smoothing_level=alpha, smoothing_trend=bstar, smoothing_seasonal=gamma,
              damping_trend=phi, optimized=False)
diff = np.abs(hres.forecast(H) - eres.forecast(H))
print("/* A: ExponentialSmoothing vs ETSModel, max |diff| at h not a multiple of m: %.3g; at h = m, 2m: %s */"
      % (max(d for h, d in enumerate(diff, 1) if h % M), ", ".join("%.4f" % diff[h - 1] for h in (M, 2 * M))))

# B. Free fit: both libraries estimate the parameters; hw.c must land near their forecasts.
fit = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=M,
                           initialization_method="heuristic").fit()
p = fit.params
print("/* B ExponentialSmoothing(heuristic).fit(): alpha %.4f beta* %.4f gamma %.4f phi %.4f sse %.4f */"
      % (p["smoothing_level"], p["smoothing_trend"], p["smoothing_seasonal"], p["damping_trend"], fit.sse))
print(carr("ref_b_fc", fit.forecast(H), 4))
efit = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True, seasonal="add",
                seasonal_periods=M).fit(disp=False)
print("/* B ETSModel.fit(): alpha %.4f beta %.4f gamma %.4f phi %.4f mse %.4f */"
      % (efit.smoothing_level, efit.smoothing_trend, efit.smoothing_seasonal, efit.damping_trend, efit.mse))
print(carr("ref_b_ets_fc", efit.forecast(H), 4))
pi = efit.get_prediction(start=N, end=N + H - 1).summary_frame(alpha=0.2)
print(carr("ref_b_ets_hi80", pi["pi_upper"].values, 4))
print("/* B: the two statsmodels fits differ by up to %.3f over h = 1..%d, %.3f over h = 1..%d */"
      % (np.max(np.abs(fit.forecast(H) - efit.forecast(H))), H,
         np.max(np.abs(fit.forecast(H)[:M] - efit.forecast(H)[:M])), M))
