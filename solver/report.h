/* report.h: the result of a run, as a human summary and as one JSON object. */
#ifndef BLRCHOL_REPORT_H
#define BLRCHOL_REPORT_H

#include <stdio.h>

#define REPORT_MAX_RANKS 4096

typedef struct report {
    const char *status;          /* "ok", "oom", "error" */
    char error[512];
    int n, nb, nt, p, q, ranks, workers_per_rank;
    int nrhs;               /* right-hand sides solved with the factor */
    const char *kernel, *geometry, *precision, *compress;
    int dense;
    double eps;                  /* NAN when dense */
    double norm_a_estimate;      /* the ||A||_F the tolerance was scaled by */
    double time_generate, time_compress, time_factor, time_solve, time_check;
    double time_load;       /* --load-factor: reading the factor (compress and factor are 0) */
    double gflops_factor, gflops_actual;
    double backward_error;       /* NAN without --check */
    double dense_bytes, factor_bytes, compression_ratio;
    double rank_mean;
    int rank_max, rank_max_initial;
    int memctl;
    double node_mem, mem_high, mem_low; /* 0: none */
    double peak_charged_bytes, peak_actual_bytes, peak_rss_bytes; /* max over ranks */
    long memctl_blocks, memctl_overflows, memctl_unreserved_receives;
    double memctl_blocked_seconds;
    int nranks_reported;
    double rank_peak_charged[REPORT_MAX_RANKS], rank_peak_actual[REPORT_MAX_RANKS],
        rank_peak_rss[REPORT_MAX_RANKS];
} report_t;

void report_json(const report_t *r, FILE *out);
void report_summary(const report_t *r, FILE *out);

#endif
