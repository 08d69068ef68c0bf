# SPDX-License-Identifier: Apache-2.0
# tests/unit/known/arima_reference.R -- produces the known answers that tests/unit/test_arima.c
# compares against: R's arima(method = "CSS") coefficients, sigma2 and predict() means and
# standard errors for fixed orders on two small simulated series. Run by hand only:
#   Rscript tests/unit/known/arima_reference.R > /tmp/arima_ref.txt
# (produced with R 4.2.2, Debian bookworm r-base-core; only base R's stats package is used).
# The series are rounded to 4 decimals and the rounded values are what is fitted and what the
# C test embeds.
set.seed(20240611)
n <- 150
y1 <- round(cumsum(arima.sim(list(ar = 0.5, ma = 0.3), n = n)) + 50, 4)   # ARIMA(1,1,1)
y2 <- round(arima.sim(list(ar = c(0.6, -0.3), ma = 0.4), n = n) + 10, 4)  # ARMA(2,1) + mean

ctl <- list(reltol = 1e-12, maxit = 1000)
p <- function(name, v) cat(sprintf("static const double %s[%d] = {\n%s};\n", name, length(v),
    paste(strwrap(paste(sprintf("%.10g,", v), collapse = " "), width = 95, prefix = "    "),
          collapse = "\n")))
p("KA_Y1", y1)
p("KA_Y2", y2)

f1 <- arima(y1, order = c(1, 1, 1), method = "CSS", optim.control = ctl)
pr1 <- predict(f1, n.ahead = 10)
cat("/* ARIMA(1,1,1), no constant: ar1 ma1 */\n")
p("KA_F1_COEF", coef(f1)); p("KA_F1_SIGMA2", f1$sigma2)
p("KA_F1_MEAN", pr1$pred); p("KA_F1_SE", pr1$se)

f2 <- arima(y2, order = c(2, 0, 1), method = "CSS", include.mean = TRUE, optim.control = ctl)
pr2 <- predict(f2, n.ahead = 10)
cat("/* ARIMA(2,0,1) with mean: ar1 ar2 ma1 intercept */\n")
p("KA_F2_COEF", coef(f2)); p("KA_F2_SIGMA2", f2$sigma2)
p("KA_F2_MEAN", pr2$pred); p("KA_F2_SE", pr2$se)

f3 <- arima(y1, order = c(0, 1, 1), xreg = seq_len(n), method = "CSS", optim.control = ctl)
pr3 <- predict(f3, n.ahead = 10, newxreg = n + seq_len(10))
cat("/* ARIMA(0,1,1) with drift: ma1 drift */\n")
p("KA_F3_COEF", coef(f3)); p("KA_F3_SIGMA2", f3$sigma2)
p("KA_F3_MEAN", pr3$pred); p("KA_F3_SE", pr3$se)
cat(sprintf("/* %s */\n", R.version.string))
