#include "library/report.h"

#include "kernels/tile_kernels.h"

#include <math.h>
#include <string.h>

/* JSON has no NaN: absent values are null. */
static void number(FILE *out, const char *key, double value, int last)
{
    if (isnan(value))
        fprintf(out, "  \"%s\": null%s\n", key, last ? "" : ",");
    else if (value == floor(value) && fabs(value) < 9e15)
        fprintf(out, "  \"%s\": %.0f%s\n", key, value, last ? "" : ",");
    else
        fprintf(out, "  \"%s\": %.6g%s\n", key, value, last ? "" : ",");
}

static void string(FILE *out, const char *key, const char *value)
{
    fprintf(out, "  \"%s\": \"", key);
    for (const char *c = value; c && *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', out);
        if ((unsigned char)*c >= 0x20)
            fputc(*c, out);
    }
    fprintf(out, "\",\n");
}

static void array(FILE *out, const char *key, const double *values, int count)
{
    fprintf(out, "  \"%s\": [", key);
    for (int k = 0; k < count; k++)
        fprintf(out, "%s%.0f", k ? ", " : "", values[k]);
    fprintf(out, "],\n");
}

static void int_array(FILE *out, const char *key, const int *values, int count)
{
    fprintf(out, "  \"%s\": [", key);
    for (int k = 0; k < count; k++)
        fprintf(out, "%s%d", k ? ", " : "", values[k]);
    fprintf(out, "],\n");
}

/* kernel_seconds_KIND and kernel_calls_KIND for each kernel kind. */
static void kernel_times(FILE *out, const blrchol_report_t *r)
{
    char key[64];
    for (int k = 0; k < BLRCHOL_KERNEL_KINDS; k++) {
        snprintf(key, sizeof key, "kernel_seconds_%s", kernel_time_name(k));
        number(out, key, r->kernel_seconds[k], 0);
        snprintf(key, sizeof key, "kernel_calls_%s", kernel_time_name(k));
        number(out, key, (double)r->kernel_calls[k], 0);
    }
}

void blrchol_report_json(const blrchol_report_t *r, FILE *out)
{
    fprintf(out, "{\n");
    string(out, "status", r->status);
    if (r->error[0])
        string(out, "error", r->error);
    if (r->phase) {
        string(out, "phase", r->phase);
        number(out, "progress", r->progress, 0);
    }
    number(out, "n", r->n, 0);
    number(out, "nrhs", r->nrhs, 0);
    number(out, "nb", r->nb, 0);
    fprintf(out, "  \"nb_auto\": %s,\n", r->nb_auto ? "true" : "false");
    number(out, "nt", r->nt, 0);
    number(out, "p", r->p, 0);
    number(out, "q", r->q, 0);
    number(out, "ranks", r->ranks, 0);
    number(out, "workers_per_rank", r->workers_per_rank, 0);
    string(out, "binding", r->binding ? r->binding : "");
    number(out, "worker_cpus_shared", r->worker_cpus_shared, 0);
    number(out, "ranks_short_of_cpus", r->ranks_short_of_cpus, 0);
    string(out, "mpi_polling", r->mpi_polling ? r->mpi_polling : "");
    number(out, "mpi_naps", (double)r->mpi_naps, 0);
    string(out, "starpu_version", r->starpu_version);
    number(out, "starpu_workers_getbind", r->starpu_workers_getbind, 0);
    number(out, "starpu_mpi_ndetached_send", r->starpu_mpi_ndetached_send, 0);
    number(out, "starpu_mpi_mem_throttle", r->starpu_mpi_mem_throttle, 0);
    number(out, "starpu_mpi_thread_multiple_send", r->starpu_mpi_thread_multiple_send, 0);
    string(out, "kernel", r->kernel);
    string(out, "geometry", r->geometry);
    string(out, "precision", r->precision);
    string(out, "compress", r->dense ? "dense" : r->compress);
    fprintf(out, "  \"dense\": %s,\n", r->dense ? "true" : "false");
    number(out, "eps", r->eps, 0);
    number(out, "norm_a_estimate", r->norm_a_estimate, 0);
    number(out, "time_generate", r->time_generate, 0);
    number(out, "time_compress", r->time_compress, 0);
    number(out, "time_factor", r->time_factor, 0);
    number(out, "time_solve", r->time_solve, 0);
    number(out, "time_check", r->time_check, 0);
    number(out, "time_load", r->time_load, 0);
    number(out, "gflops_factor", r->gflops_factor, 0);
    number(out, "gflops_actual", r->gflops_actual, 0);
    kernel_times(out, r);
    number(out, "backward_error", r->backward_error, 0);
    number(out, "dense_bytes", r->dense_bytes, 0);
    number(out, "factor_bytes", r->factor_bytes, 0);
    number(out, "compression_ratio", r->compression_ratio, 0);
    number(out, "rank_mean", r->rank_mean, 0);
    number(out, "rank_max", r->rank_max, 0);
    number(out, "rank_max_initial", r->rank_max_initial, 0);
    number(out, "compress_aca_tiles", (double)r->compress_aca_tiles, 0);
    number(out, "compress_fallback_tiles", (double)r->compress_fallback_tiles, 0);
    number(out, "compress_fallbacks", (double)r->compress_fallbacks, 0);
    fprintf(out, "  \"memctl\": %s,\n", r->memctl ? "true" : "false");
    fprintf(out, "  \"memctl_step_sync\": %s,\n", r->memctl_step_sync ? "true" : "false");
    number(out, "node_mem", r->node_mem > 0 ? r->node_mem : NAN, 0);
    number(out, "memory_cap", r->memory_cap_bytes > 0 ? r->memory_cap_bytes : NAN, 0);
    number(out, "mem_high", r->mem_high > 0 ? r->mem_high : NAN, 0);
    number(out, "mem_low", r->mem_low > 0 ? r->mem_low : NAN, 0);
    number(out, "peak_charged_bytes", r->peak_charged_bytes, 0);
    number(out, "peak_actual_bytes", r->peak_actual_bytes, 0);
    number(out, "peak_rss_bytes", r->peak_rss_bytes, 0);
    number(out, "peak_scratch_bytes", r->peak_scratch_bytes, 0);
    number(out, "rss_start_bytes", r->rss_start_bytes, 0);
    number(out, "task_window", r->task_window, 0);
    number(out, "peak_recv_buffer_bytes", r->peak_recv_buffer_bytes, 0);
    number(out, "peak_early_bytes", r->peak_early_bytes, 0);
    number(out, "early_receives", r->early_receives, 0);
    number(out, "early_check_failures", r->early_check_failures, 0);
    number(out, "peak_send_buffer_bytes", r->peak_send_buffer_bytes, 0);
    number(out, "peak_total_bytes", r->peak_total_bytes, 0);
    number(out, "memctl_send_window_bytes", r->memctl_send_window_bytes, 0);
    number(out, "memctl_blocks", r->memctl_blocks, 0);
    number(out, "memctl_blocked_seconds", r->memctl_blocked_seconds, 0);
    number(out, "memctl_overflows", r->memctl_overflows, 0);
    number(out, "memctl_unreserved_receives", r->memctl_unreserved_receives, 0);
    string(out, "memctl_reserve", r->memctl_reserve ? r->memctl_reserve : "");
    number(out, "memctl_receptions", r->memctl_receptions, 0);
    number(out, "memctl_releases", r->memctl_releases, 0);
    number(out, "memctl_underreserved_receives", r->memctl_underreserved_receives, 0);
    number(out, "memctl_underreserved_bytes", r->memctl_underreserved_bytes, 0);
    number(out, "memctl_growth_overruns", r->memctl_growth_overruns, 0);
    number(out, "memctl_growth_overrun_bytes", r->memctl_growth_overrun_bytes, 0);
    number(out, "memctl_lookahead", r->memctl_lookahead, 0);
    number(out, "memctl_lookahead_waits", r->memctl_lookahead_waits, 0);
    number(out, "memctl_lookahead_wait_seconds", r->memctl_lookahead_wait_seconds, 0);
    array(out, "rank_local_bytes", r->rank_local_bytes, r->nranks_reported);
    if (r->planned) {
        array(out, "plan_pool_bytes", r->plan_pool_bytes, r->nranks_reported);
        int_array(out, "plan_largest_step", r->plan_largest_step, r->nranks_reported);
        array(out, "plan_step_reserved_bytes", r->plan_step_reserved_bytes, r->nranks_reported);
        array(out, "plan_step_actual_bytes", r->plan_step_actual_bytes, r->nranks_reported);
        array(out, "plan_node_mem_min", r->plan_node_mem_min, r->nranks_reported);
        array(out, "plan_charge_bound", r->plan_charge_bound, r->nranks_reported);
        number(out, "plan_node_mem", r->plan_node_mem, 0);
        number(out, "plan_memory_per_rank", r->plan_memory_per_rank, 0);
        number(out, "plan_fewest_ranks", r->plan_fewest_ranks, 0);
    }
    array(out, "rank_peak_charged_bytes", r->rank_peak_charged, r->nranks_reported);
    array(out, "rank_peak_actual_bytes", r->rank_peak_actual, r->nranks_reported);
    array(out, "rank_peak_rss_bytes", r->rank_peak_rss, r->nranks_reported);
    number(out, "version", 1, 1);
    fprintf(out, "}\n");
}

static double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

void blrchol_report_summary(const blrchol_report_t *r, FILE *out)
{
    fprintf(out, "blrchol: %s, %s %s, n=%d nb=%d nt=%d, %d ranks (%dx%d) x %d workers, %s\n", r->status,
            r->kernel, r->geometry, r->n, r->nb, r->nt, r->ranks, r->p, r->q, r->workers_per_rank,
            r->dense ? "dense" : r->compress);
    if (r->error[0])
        fprintf(out, "  error: %s\n", r->error);
    fprintf(out, "  StarPU %s: STARPU_WORKERS_GETBIND=%d STARPU_MPI_NDETACHED_SEND=%d STARPU_MPI_MEM_THROTTLE=%d "
            "STARPU_MPI_THREAD_MULTIPLE_SEND=%d\n", r->starpu_version[0] ? r->starpu_version : "?",
            r->starpu_workers_getbind, r->starpu_mpi_ndetached_send, r->starpu_mpi_mem_throttle,
            r->starpu_mpi_thread_multiple_send);
    if (r->ranks > 1)
        fprintf(out, "  binding %s: %d CPUs shared by the workers of several ranks of a node, %d ranks with "
                "fewer CPUs than workers; MPI thread: %s (%ld naps)\n",
                r->binding ? r->binding : "?", r->worker_cpus_shared, r->ranks_short_of_cpus,
                r->mpi_polling ? r->mpi_polling : "?", r->mpi_naps);
    fprintf(out, "  times (s): generate %.2f, compress %.2f, factor %.2f, solve %.2f\n", r->time_generate,
            r->time_compress, r->time_factor, r->time_solve);
    fprintf(out, "  factor: %.1f Gflop/s dense-equivalent, %.1f Gflop/s executed\n", r->gflops_factor,
            r->gflops_actual);
    fprintf(out, "  kernel time (s, all workers):");
    for (int k = 0; k < BLRCHOL_KERNEL_KINDS; k++)
        fprintf(out, "%s %s %.2f", k ? "," : "", kernel_time_name(k), r->kernel_seconds[k]);
    fprintf(out, "\n");
    fprintf(out, "  memory: factor %.1f MiB = %.2f%% of dense %.1f MiB; ranks mean %.1f max %d (initial max %d)\n",
            mib(r->factor_bytes), 100 * r->compression_ratio, mib(r->dense_bytes), r->rank_mean, r->rank_max,
            r->rank_max_initial);
    if (!r->dense && strcmp(r->compress ? r->compress : "", "aca") == 0)
        fprintf(out, "  compression: %ld tiles by ACA, %ld by SVD instead (%ld failed ACA's check)\n",
                r->compress_aca_tiles, r->compress_fallback_tiles, r->compress_fallbacks);
    fprintf(out, "  peak per rank: charged %.1f MiB, actual %.1f MiB, rss %.1f MiB (%.1f MiB before the tiles); memctl "
            "%s, %ld blocks (%.2f s)\n",
            mib(r->peak_charged_bytes), mib(r->peak_actual_bytes), mib(r->peak_rss_bytes), mib(r->rss_start_bytes),
            r->memctl ? "on" : "off", r->memctl_blocks, r->memctl_blocked_seconds);
    fprintf(out, "  early data %.1f MiB at its peak (in actual, %ld receptions); with StarPU-MPI's receive and send "
            "buffers (%.1f and %.1f MiB at their peaks): %.1f MiB\n",
            mib(r->peak_early_bytes), r->early_receives, mib(r->peak_recv_buffer_bytes), mib(r->peak_send_buffer_bytes),
            mib(r->peak_total_bytes));
    if (r->memctl_underreserved_receives || r->memctl_growth_overruns)
        fprintf(out, "  memctl (reserve %s): %ld receptions over their reservation by %.1f MiB in all, %ld local "
                "growths past the pool by %.1f MiB\n", r->memctl_reserve ? r->memctl_reserve : "?",
                r->memctl_underreserved_receives, mib(r->memctl_underreserved_bytes), r->memctl_growth_overruns,
                mib(r->memctl_growth_overrun_bytes));
    if (!isnan(r->backward_error))
        fprintf(out, "  backward error: %.3e\n", r->backward_error);
}

void blrchol_report_plan(const blrchol_report_t *r, FILE *out)
{
    fprintf(out, "blrchol memory plan: %s %s, n=%d nb=%d, %d ranks (%dx%d), reserve %s\n", r->kernel, r->geometry,
            r->n, r->nb, r->ranks, r->p, r->q, r->memctl_reserve ? r->memctl_reserve : "?");
    fprintf(out, "  %-5s %12s %10s %6s %16s %14s %14s\n", "rank", "own tiles", "pool", "step", "step reserved",
            "step actual", "least node-mem");
    for (int k = 0; k < r->nranks_reported; k++)
        fprintf(out, "  %-5d %8.1f MiB %6.1f MiB %6d %12.1f MiB %10.1f MiB %10.1f MiB\n", k, mib(r->rank_local_bytes[k]),
                mib(r->plan_pool_bytes[k]), r->plan_largest_step[k], mib(r->plan_step_reserved_bytes[k]),
                mib(r->plan_step_actual_bytes[k]), mib(r->plan_node_mem_min[k]));
    fprintf(out, "  StarPU-MPI send window %.1f MiB (in each least node-mem); process before the tiles %.1f MiB RSS "
            "(not in it)\n", mib(r->memctl_send_window_bytes), mib(r->rss_start_bytes));
    fprintf(out, "  charged at most without a capacity (step look-ahead %d):", r->memctl_lookahead);
    for (int k = 0; k < r->nranks_reported; k++)
        fprintf(out, " %.1f", mib(r->plan_charge_bound[k]));
    fprintf(out, " MiB\n");
    fprintf(out, "  least --node-mem for every rank: %.1f MiB\n", mib(r->plan_node_mem));
    if (r->plan_fewest_ranks > 0)
        fprintf(out, "  fewest ranks with %.1f MiB each: %d\n", mib(r->plan_memory_per_rank), r->plan_fewest_ranks);
    else
        fprintf(out, "  no rank count up to %d fits %.1f MiB per rank\n", BLRCHOL_REPORT_MAX_RANKS,
                mib(r->plan_memory_per_rank));
}
