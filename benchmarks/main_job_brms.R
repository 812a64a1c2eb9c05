# brms counterpart of the main job `bayeshcc fit models/huang2022_os.toml`: the same
# piecewise-exponential model (cutpoints 0, 6, 12, 18 months; proportional effect; control
# Sorafenib), the same grouped likelihood, the same priors, 4 chains x (1000 warm-up + 1000 draws).
#
# Run: Rscript benchmarks/main_job_brms.R [--refits N]   (N refits after the fit, default 1; 0: none)
# Environment: BRMS_CORES (default 1: parallel chains cost more start-up than they save here).
# Prints timings and one line `RESULT {json}` that benchmarks/main_job_vs_brms.py reads.
#
# Formulation (why not a standard GLM): the life table has closed rows [0,6), [6,12), [12,18)
# per arm (events ~ Binomial(at_risk, 1 - exp(-6 * hazard))) and one open row [18, inf) per arm
# whose survivors were censored at a follow-up end C ~ Uniform(u, v) (the data cut-off minus
# the accrual dates). Its probability of death is 1 - exp(-h4 (u - 18)) (1 - exp(-h4 L)) / (h4 L),
# L = v - u. No brms family has that, and a patient-level reconstruction would invent event and
# censoring times the paper does not report. So this is one non-linear brms model (nl = TRUE,
# binomial, logit link) whose linear predictor calls a Stan function with that exact probability;
# closed rows are the special case L = 0, d = 6. log hazard = interval + trt * log_hr with trt
# = +1/2 (FOLFOX-HAIC) and -1/2 (Sorafenib): bayeshcc's symmetric parameterisation, whose
# baseline is the geometric mean of the two arms' hazards. Priors Normal(log 0.05, 2) on the
# interval log baselines (= bayeshcc's LogNormal baseline prior as the spec sets it) and
# Normal(0, 2) on log_hr. Posterior log_hr = b_lh_trt, which matches bayeshcc's log_hr (about -1.10).
t_start <- Sys.time()
secs <- function(t) as.numeric(difftime(Sys.time(), t, units = "secs"))

args <- commandArgs(trailingOnly = TRUE)
n_refits <- if (length(args) >= 2 && args[1] == "--refits") as.integer(args[2]) else 1L
cores <- as.integer(Sys.getenv("BRMS_CORES", "1"))

suppressPackageStartupMessages(library(brms))
t_load <- secs(t_start)

# Huang 2022 OS life table (bayeshcc.datasets.load_huang2022().os); follow-up window of the
# open rows [u, v] = [28.4188911704, 60.3203285421] months from the start of treatment.
u <- 28.4188911704
v <- 60.3203285421
life_table <- function(events_trt, at_risk_trt, events_ctl, at_risk_ctl) {
  data.frame(
    trt = rep(c(0.5, -0.5), each = 4),
    interval = factor(rep(c("0-6", "6-12", "12-18", "18+"), 2), levels = c("0-6", "6-12", "12-18", "18+")),
    events = c(events_trt, events_ctl),
    at_risk = c(at_risk_trt, at_risk_ctl),
    d = rep(c(6, 6, 6, u - 18), 2),  # exposure before the window (closed rows: the row width)
    L = rep(c(0, 0, 0, v - u), 2)    # window length (0: closed row)
  )
}
# FOLFOX-HAIC (trt = 1/2), then Sorafenib (control, trt = -1/2)
huang <- life_table(c(4, 17, 11, 12), c(55, 51, 34, 23), c(17, 27, 9, 6), c(59, 42, 15, 6))

stan_fun <- "
  real pe_logit(real lh, real d, real L) {
    // logit of P(death in the row) for hazard exp(lh): 1 - exp(-lam d) E[...] over the window
    real lam = exp(lh);
    real x = lam * L;
    real log_s = -lam * d + (x > 1e-8 ? log(-expm1(-x) / x) : log1m(x / 2));
    return log1m_exp(log_s) - log_s;
  }
"
form <- bf(events | trials(at_risk) ~ pe_logit(lh, d, L), lh ~ 0 + interval + trt, nl = TRUE)
priors <- c(
  prior(normal(-2.995732, 2), nlpar = "lh", class = "b"),
  prior(normal(0, 2), nlpar = "lh", class = "b", coef = "trt")
)

t0 <- Sys.time()
fit <- brm(form, data = huang, family = binomial(link = "logit"), prior = priors,
           stanvars = stanvar(scode = stan_fun, block = "functions"),
           chains = 4, iter = 2000, warmup = 1000, cores = cores, seed = 1,
           refresh = 0, silent = 2)
t_fit <- secs(t0)
log_hr <- as.data.frame(fit, variable = "b_lh_trt")[[1]]
summ <- posterior::summarise_draws(posterior::subset_draws(posterior::as_draws(fit), variable = "b_lh_trt"))
t_sample <- sum(rstan::get_elapsed_time(fit$fit))  # Stan's own warm-up + sampling seconds, all chains

# refit: new data of the same shape, compiled model reused (update(..., recompile = FALSE))
other <- life_table(c(5, 15, 13, 10), c(55, 50, 35, 22), c(16, 27, 9, 7), c(59, 43, 16, 7))
refit_s <- numeric(0)
for (r in seq_len(n_refits)) {
  t0 <- Sys.time()
  f2 <- update(fit, newdata = if (r %% 2 == 1) other else huang, recompile = FALSE,
               seed = 1 + r, refresh = 0, silent = 2)
  refit_s <- c(refit_s, secs(t0))
}
t_total <- secs(t_start)
refit_med <- if (length(refit_s)) median(refit_s) else NA_real_

cat(sprintf("brms %s, rstan %s, R %s; cores = %d\n", packageVersion("brms"), packageVersion("rstan"),
            getRversion(), cores))
cat(sprintf("load %.2f s, brm (compile + sample) %.2f s (Stan sampling %.2f s summed over chains), refit median %.2f s\n",
            t_load, t_fit, t_sample, refit_med))
cat(sprintf("log_hr mean %.3f sd %.3f, ess_bulk %.0f, rhat %.3f; whole script %.2f s\n",
            mean(log_hr), sd(log_hr), summ$ess_bulk, summ$rhat, t_total))
cat(sprintf(paste0('RESULT {"load_s": %.3f, "fit_s": %.3f, "stan_sampling_s": %.3f, "refit_median_s": %s, ',
                   '"log_hr_mean": %.4f, "ess_bulk": %.1f, "script_s": %.3f, "cores": %d}\n'),
            t_load, t_fit, t_sample, if (is.na(refit_med)) "null" else sprintf("%.3f", refit_med),
            mean(log_hr), summ$ess_bulk, t_total, cores))
