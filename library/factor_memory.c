/*
 * factor_memory.c: memory control for one factor: the watermarks, the
 * --node-mem capacity, memctl's start and stop, the step synchronisation
 * switch, the trace files, and the per-rank memory report.  The runtime
 * calls memctl itself (tile interface, runtime allocator, submission).
 */
#include "library/factor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <starpu.h>

#include "runtime/process_memory.h"
#include "runtime/runtime_alloc.h"
#include "runtime/starpu_settings.h"
#include "runtime/task_trace.h"
#include "runtime/tile_interface.h"
#include "library/memory_plan.h"
#include "memctl/lookahead.h"
#include "memctl/memctl.h"
#include "memctl/tile_mem.h"

/* The largest message: a dense tile, packed (runtime/tile_interface.c). */
static size_t largest_message(const desc_t *A) { return 16 + (size_t)A->nb * A->nb * A->elem_size; }

/* StarPU-MPI packs at most STARPU_MPI_NDETACHED_SEND sends at a time
 * (runtime_alloc.h; the value in force, which blrchol keeps finite:
 * starpu_settings.c): the send buffers never hold more than that many of
 * the largest packed tile. */
static size_t send_window(const desc_t *A)
{
    return (size_t)starpu_settings_in_force().ndetached_send * largest_message(A);
}

/* How many steps submission may run ahead of execution under memctl
 * (memctl/lookahead.h): BLRCHOL_LOOKAHEAD, 0 for unbounded; by default a
 * few steps, enough to keep the workers fed, few enough that a rank's
 * reservations stay near what it holds. */
#define DEFAULT_LOOKAHEAD_STEPS 2
static int lookahead_steps(void)
{
    const char *text = getenv("BLRCHOL_LOOKAHEAD");
    return text && *text && atoi(text) >= 0 ? atoi(text) : DEFAULT_LOOKAHEAD_STEPS;
}

/* The watermarks above a charge that cannot go, `floor`: the ones given
 * win, the others follow from the capacity (memctl_watermarks_for; a given
 * high stands for a capacity two messages above it). */
static void derive_watermarks(const blrchol_factor_t *f, size_t floor, size_t *high, size_t *low)
{
    const blrchol_options_t *o = &f->options;
    const size_t message = largest_message(&f->A);
    memctl_watermarks_for(o->mem_high ? o->mem_high + 2 * message : f->capacity, message, floor, high, low);
    if (o->mem_low)
        *low = o->mem_low;
    if (*low > *high)
        *low = *high;
}
/* Nothing submitted is left to run: waiting for memory would never end. */
static int runtime_idle(void) { return starpu_task_nsubmitted() == 0; }

/* The trace files of trace_path FILE: memctl rows in FILE and task spans in
 * FILE with ".tasks" before a ".csv" ending (run.csv -> run.tasks.csv);
 * with several ranks, ".<rank>" is appended to each. */
static void trace_file_name(char *out, size_t size, const char *base, const char *kind, int rank, int nranks)
{
    size_t len = strlen(base);
    int csv = len >= 4 && strcmp(base + len - 4, ".csv") == 0;
    int stem = (int)(csv ? len - 4 : len);
    int written = snprintf(out, size, "%.*s%s%s", stem, base, kind, csv ? ".csv" : "");
    if (nranks > 1 && written >= 0 && (size_t)written < size)
        snprintf(out + written, size - written, ".%d", rank);
}

/* The tile allocator's hard cap: --node-mem, or without it the node's share
 * less what the process holds already and its usual overhead beyond the
 * tiles (StarPU's handles and tasks, MPI's buffers: about 15% at most in
 * docs/design/process-memory.md's runs), so that a run that outgrows the
 * machine ends with status oom and not by the kernel's OOM killer. */
static size_t memory_cap(const blrchol_factor_t *f, size_t capacity)
{
    const size_t given = f->options.node_mem;
    if (given == BLRCHOL_NODE_MEM_NONE)
        return 0;
    if (given)
        return given;
    const double room = (double)capacity - f->rss_start;
    return room > 0 ? (size_t)(0.85 * room) : 1;
}

int factor_memory_setup(blrchol_factor_t *f)
{
    const blrchol_options_t *opt = &f->options;
    report_t *rep = &f->report;
    const size_t capacity = blrchol_memory_per_rank(opt->node_mem, f->comm);
    f->rss_start = process_memory_peak_rss();
    rep->task_window = process_memory_task_window();
    /* One factor at a time: the allocator's counts start from nothing. */
    tile_mem_reset();
    runtime_alloc_reset_peaks();
    tile_mem_set_capacity(memory_cap(f, capacity));
    rep->memory_cap_bytes = (double)tile_mem_capacity();
    f->capacity = capacity;
    size_t high, low;
    derive_watermarks(f, 0, &high, &low);
    rep->mem_high = (double)high;
    rep->mem_low = (double)low;
    if (opt->trace_path) {
        char path[4096], tasks_path[4096];
        trace_file_name(path, sizeof path, opt->trace_path, "", f->rank, f->nranks);
        trace_file_name(tasks_path, sizeof tasks_path, opt->trace_path, ".tasks", f->rank, f->nranks);
        f->trace = fopen(path, "w");
        f->task_trace = f->trace ? fopen(tasks_path, "w") : NULL;
        if (!f->task_trace) {
            snprintf(rep->error, sizeof rep->error, "cannot write the trace file %.400s", f->trace ? tasks_path : path);
            return -1;
        }
        task_trace_start();
    }
    /* With several ranks, memctl charges the send window for good and
     * turns the step synchronisation on (potrf.c), which leaves no
     * message arriving before its receive is posted: receive buffers are
     * then within their reservations, and tiles + runtime buffers stay
     * under the high watermark but for one message being unpacked. */
    const int controlled = opt->memctl && f->nranks > 1;
    const int step_sync = controlled && !opt->no_step_sync;
    rep->memctl_step_sync = step_sync;
    rep->memctl_reserve = opt->reserve == BLRCHOL_RESERVE_DENSE ? "dense" : "rank";
    f->send_window = controlled ? send_window(&f->A) : 0;
    rep->memctl_send_window_bytes = (double)f->send_window;
    memctl_config_t cfg = {.enabled = opt->memctl, .high = high, .low = low, .growth_margin = opt->growth_margin,
                           .ntiles = (int)f->A.ntiles, .rank = f->rank, .runtime_idle = runtime_idle,
                           .fixed = f->send_window, .trace = f->trace};
    if (memctl_init(&cfg) != 0) {
        snprintf(rep->error, sizeof rep->error, "cannot initialise memctl");
        return -1;
    }
    f->has_memctl = 1;
    f->step_sync = step_sync ? f->comm : MPI_COMM_NULL;
    rep->memctl_lookahead = controlled ? lookahead_steps() : 0;
    if (lookahead_start(f->A.nt, rep->memctl_lookahead) != 0) {
        snprintf(rep->error, sizeof rep->error, "cannot initialise the step look-ahead");
        return -1;
    }
    return 0;
}

/* A bound on the size of tile t when it is sent: a low-rank tile at its
 * rank plus the growth margin (and one), never past its dense size. */
static size_t rank_reception_bound(const tile_t *t, double margin)
{
    const size_t dense = tile_dense_bytes(t);
    if (tile_is_dense(t))
        return dense;
    const size_t rank = (size_t)t->rank + (size_t)ceil(t->rank * margin) + 1;
    const size_t bytes = ((size_t)t->m + (size_t)t->n) * rank * (size_t)t->elem_size;
    return bytes < dense ? bytes : dense;
}

int factor_memory_tiles_built(blrchol_factor_t *f)
{
    desc_t *A = &f->A;
    report_t *rep = &f->report;
    const int by_rank = f->options.reserve == BLRCHOL_RESERVE_RANK;
    size_t *bytes = calloc(A->ntiles, sizeof *bytes), *bound = calloc(A->ntiles, sizeof *bound);
    if (!bytes || !bound) {
        free(bytes), free(bound);
        return -1;
    }
    double own = 0;
    for (int j = 0; j < A->nt; j++)
        for (int i = j; i < A->nt; i++)
            if (desc_is_mine(A, i, j)) {
                const long index = desc_index(A, i, j);
                const tile_t *tile = tile_interface_get(desc_tile(A, i, j));
                bytes[index] = tile_payload_bytes(tile);
                bound[index] = by_rank ? rank_reception_bound(tile, f->options.growth_margin) : tile_dense_bytes(tile);
                own += (double)bytes[index];
                memctl_local_register((int)index, bytes[index], tile_dense_bytes(tile));
            }
    /* Each tile is set on its owner alone: the largest value is its own. */
    MPI_Allreduce(MPI_IN_PLACE, bytes, (int)A->ntiles, MPI_UINT64_T, MPI_MAX, f->comm);
    MPI_Allreduce(MPI_IN_PLACE, bound, (int)A->ntiles, MPI_UINT64_T, MPI_MAX, f->comm);
    free(A->reception_bound);
    A->reception_bound = bound;
    free(f->tile_bytes);
    f->tile_bytes = bytes;
    double *all = malloc(f->nranks * sizeof *all);
    if (!all)
        return -1;
    MPI_Allgather(&own, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, f->comm);
    for (int k = 0; k < f->nranks && k < REPORT_MAX_RANKS; k++)
        rep->rank_local_bytes[k] = all[k];
    free(all);
    memctl_stats_t now;
    memctl_get_stats(&now);
    size_t high, low;
    derive_watermarks(f, now.charged, &high, &low);
    memctl_set_watermarks(high, low);
    rep->mem_high = (double)high;
    rep->mem_low = (double)low;
    return 0;
}

/* The tables the plan is made from, out of every tile's size. */
static int plan_tables(const blrchol_factor_t *f, size_t **bound, unsigned char **growing)
{
    const desc_t *A = &f->A;
    *bound = malloc(A->ntiles * sizeof **bound);
    *growing = malloc(A->ntiles);
    if (!*bound || !*growing)
        return -1;
    for (int j = 0; j < A->nt; j++)
        for (int i = j; i < A->nt; i++) {
            const long index = desc_index(A, i, j);
            (*bound)[index] = desc_reception_bound(A, i, j);
            (*growing)[index] = i != j && f->tile_bytes[index] < desc_dense_bytes(A, i, j);
        }
    return 0;
}

int factor_memory_plan(blrchol_factor_t *f)
{
    report_t *rep = &f->report;
    size_t *bound = NULL;
    unsigned char *growing = NULL;
    rank_plan_t *plan = malloc(f->nranks * sizeof *plan);
    int status = -1;
    if (plan && plan_tables(f, &bound, &growing) == 0) {
        const size_t message = largest_message(&f->A);
        const plan_tiles_t tiles = {f->tile_bytes, bound, growing, f->options.growth_margin,
                                    f->nranks > 1 ? send_window(&f->A) : 0, message, rep->memctl_lookahead};
        status = memory_plan(&f->A, f->p, f->q, &tiles, plan);
        for (int k = 0; status == 0 && k < f->nranks; k++) {
            if (k < REPORT_MAX_RANKS) {
                rep->plan_pool_bytes[k] = plan[k].pool_bytes;
                rep->plan_largest_step[k] = plan[k].largest_step;
                rep->plan_step_reserved_bytes[k] = plan[k].step_reserved;
                rep->plan_step_actual_bytes[k] = plan[k].step_actual;
                rep->plan_node_mem_min[k] = plan[k].node_mem_min;
                rep->plan_charge_bound[k] = plan[k].charge_bound;
            }
            rep->plan_node_mem = fmax(rep->plan_node_mem, plan[k].node_mem_min);
        }
        rep->plan_memory_per_rank = (double)f->capacity;
        if (status == 0)
            rep->plan_fewest_ranks =
                memory_plan_fewest_ranks(&f->A, &tiles, f->capacity, REPORT_MAX_RANKS);
        rep->planned = status == 0;
    }
    if (status != 0)
        snprintf(rep->error, sizeof rep->error, "no memory for the memory plan");
    free(plan), free(bound), free(growing);
    return status;
}

/* StarPU-MPI's buffers, early data and the process before the tiles: the
 * largest over ranks. */
static void collect_runtime(blrchol_factor_t *f)
{
    report_t *rep = &f->report;
    double peaks[5] = {(double)runtime_alloc_peak(RUNTIME_RECV), (double)runtime_alloc_peak(RUNTIME_SEND),
                       (double)tile_mem_peak_total(), (double)tile_mem_peak_early(), f->rss_start};
    MPI_Allreduce(MPI_IN_PLACE, peaks, 5, MPI_DOUBLE, MPI_MAX, f->comm);
    rep->peak_recv_buffer_bytes = peaks[0];
    rep->peak_send_buffer_bytes = peaks[1];
    rep->peak_total_bytes = peaks[2];
    rep->peak_early_bytes = peaks[3];
    rep->rss_start_bytes = peaks[4];
    long early[2] = {runtime_alloc_count(RUNTIME_EARLY), runtime_alloc_check_failures()};
    MPI_Allreduce(MPI_IN_PLACE, early, 2, MPI_LONG, MPI_SUM, f->comm);
    rep->early_receives = early[0];
    rep->early_check_failures = early[1];
}

/* memctl's charge, the allocator's count and getrusage: per rank and
 * their largest. */
static void collect_rank_peaks(blrchol_factor_t *f, const memctl_stats_t *stats)
{
    report_t *rep = &f->report;
    double mine[3] = {(double)stats->peak_charged, (double)tile_mem_peak(), process_memory_peak_rss()};
    double *all = malloc(3 * sizeof(double) * f->nranks);
    if (!all)
        return;
    MPI_Allgather(mine, 3, MPI_DOUBLE, all, 3, MPI_DOUBLE, f->comm);
    rep->nranks_reported = f->nranks < REPORT_MAX_RANKS ? f->nranks : REPORT_MAX_RANKS;
    for (int k = 0; k < f->nranks; k++) {
        if (k < rep->nranks_reported) {
            rep->rank_peak_charged[k] = all[3 * k];
            rep->rank_peak_actual[k] = all[3 * k + 1];
            rep->rank_peak_rss[k] = all[3 * k + 2];
        }
        rep->peak_charged_bytes = fmax(rep->peak_charged_bytes, all[3 * k]);
        rep->peak_actual_bytes = fmax(rep->peak_actual_bytes, all[3 * k + 1]);
        rep->peak_rss_bytes = fmax(rep->peak_rss_bytes, all[3 * k + 2]);
    }
    free(all);
}

/* memctl's events, summed over ranks; the time blocked, the longest. */
static void collect_memctl_events(blrchol_factor_t *f, const memctl_stats_t *stats)
{
    report_t *rep = &f->report;
    long counts[7] = {stats->blocks, stats->overflows, stats->unreserved_receives, stats->receptions,
                      stats->releases, stats->underreserved_receives, stats->growth_overruns};
    MPI_Allreduce(MPI_IN_PLACE, counts, 7, MPI_LONG, MPI_SUM, f->comm);
    rep->memctl_blocks = counts[0];
    rep->memctl_overflows = counts[1];
    rep->memctl_unreserved_receives = counts[2];
    rep->memctl_receptions = counts[3];
    rep->memctl_releases = counts[4];
    rep->memctl_underreserved_receives = counts[5];
    rep->memctl_growth_overruns = counts[6];
    double excess[2] = {(double)stats->underreserved_bytes, (double)stats->growth_overrun_bytes};
    MPI_Allreduce(MPI_IN_PLACE, excess, 2, MPI_DOUBLE, MPI_SUM, f->comm);
    rep->memctl_underreserved_bytes = excess[0];
    rep->memctl_growth_overrun_bytes = excess[1];
    MPI_Allreduce(&stats->blocked_seconds, &rep->memctl_blocked_seconds, 1, MPI_DOUBLE, MPI_MAX, f->comm);
    long waits;
    double waited;
    lookahead_get_waits(&waits, &waited);
    MPI_Allreduce(&waits, &rep->memctl_lookahead_waits, 1, MPI_LONG, MPI_SUM, f->comm);
    MPI_Allreduce(&waited, &rep->memctl_lookahead_wait_seconds, 1, MPI_DOUBLE, MPI_MAX, f->comm);
}

void factor_memory_collect(blrchol_factor_t *f)
{
    memctl_stats_t stats;
    memctl_get_stats(&stats);
    collect_runtime(f);
    collect_rank_peaks(f, &stats);
    collect_memctl_events(f, &stats);
}

void factor_memory_describe_oom(blrchol_factor_t *f)
{
    size_t requested = 0, held = 0;
    int refused = tile_mem_refused(&requested, &held);
    double mine[4] = {refused ? (double)f->rank : 1e300, (double)requested, (double)held,
                      refused ? (double)tile_mem_refusal_kind() : 0};
    double *all = malloc(4 * sizeof(double) * f->nranks);
    MPI_Allgather(mine, 4, MPI_DOUBLE, all, 4, MPI_DOUBLE, f->comm);
    int first = 0;
    for (int k = 1; k < f->nranks; k++)
        if (all[4 * k] < all[4 * first])
            first = k;
    static const char *what[] = {"tile allocation would pass", "early-data buffer of StarPU-MPI passed",
                                 "StarPU-MPI message buffer passed"};
    snprintf(f->report.error, sizeof f->report.error,
             "out of memory on rank %d: a %.0f-byte %s the memory cap of %.0f bytes (%s) with %.0f held (give more "
             "memory per rank, more ranks, or memory control)",
             (int)all[4 * first], all[4 * first + 1], what[(int)all[4 * first + 3]], f->report.memory_cap_bytes,
             f->report.node_mem > 0 ? "--node-mem" : "the node's memory per rank less the process's own",
             all[4 * first + 2]);
    free(all);
}

void factor_memory_teardown(blrchol_factor_t *f)
{
    if (f->has_memctl) {
        lookahead_stop();
        memctl_shutdown();
        f->has_memctl = 0;
    }
    if (f->trace)
        fclose(f->trace);
    if (f->task_trace) {
        if (task_trace_write(f->task_trace, f->rank) != 0 && f->verbose)
            fprintf(stderr, "blrchol: warning: the task trace could not be written completely\n");
        fclose(f->task_trace);
    }
    f->trace = f->task_trace = NULL;
    free(f->tile_bytes);
    f->tile_bytes = NULL;
}
