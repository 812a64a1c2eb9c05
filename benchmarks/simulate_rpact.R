# The benchmark design of benchmarks/simulate.py simulated by rpact (log-rank test, getSimulationSurvival).
# Usage: Rscript simulate_rpact.R N_TRIALS N_PATIENTS MEDIAN HR SEED
# Prints one line: "rpact <seconds> <power> <p_stop_interim> <expected_events>".
suppressPackageStartupMessages(library(rpact))
args <- as.numeric(commandArgs(trailingOnly = TRUE))
n_trials <- args[1]; n_patients <- args[2]; median <- args[3]; hr <- args[4]; seed <- args[5]
# P(HR < 1 | data) > 0.975 with a vague prior is Z > 1.96 at both looks: spend alpha accordingly.
z <- qnorm(0.975)
rho <- sqrt(100 / 200)
cum_alpha <- 1 - mvtnorm::pmvnorm(upper = c(z, z), corr = matrix(c(1, rho, rho, 1), 2))[1]
design <- getDesignGroupSequential(kMax = 2, alpha = cum_alpha, sided = 1, informationRates = c(0.5, 1),
                                   typeOfDesign = "asUser", userAlphaSpending = c(1 - pnorm(z), cum_alpha))
elapsed <- system.time({
  sim <- getSimulationSurvival(design, median2 = median, hazardRatio = hr, directionUpper = FALSE,
                               accrualTime = c(0, 24), maxNumberOfSubjects = n_patients,
                               plannedEvents = c(100, 200), dropoutRate1 = 0.05, dropoutRate2 = 0.05,
                               dropoutTime = 12, maxNumberOfIterations = n_trials, seed = seed,
                               longTimeSimulationAllowed = TRUE)
})[["elapsed"]]
cat(sprintf("version %s\n", as.character(packageVersion("rpact"))))
cat(sprintf("critical %s\n", paste(round(design$criticalValues, 4), collapse = " ")))
cat(sprintf("rpact %.4f %.5f %.5f %.3f\n", elapsed, sim$overallReject, sim$earlyStop, sim$expectedNumberOfEvents))
