/*
 * factor.h: what a blrchol_factor_t (include/blrchol.h) holds, shared by
 * the files that implement the library: api.c (the calls), factor_memory.c
 * (memctl set-up and the memory report).
 */
#ifndef BLRCHOL_FACTOR_H
#define BLRCHOL_FACTOR_H

#include <stdio.h>
#include <mpi.h>

#include "include/blrchol.h"
#include "algorithm/algorithms.h"
#include "library/factor_file.h"
#include "library/problem.h"
#include "library/report.h"

struct blrchol_factor {
    blrchol_options_t options;
    int rank, nranks, p, q, workers;
    int verbose;           /* options.verbose on rank 0 */
    MPI_Comm comm;         /* our own collectives, apart from StarPU-MPI's traffic */
    problem_t problem;
    int has_comm, has_problem, has_desc, has_memctl; /* what blrchol_free undoes */
    desc_t A;
    numerics_t numerics;   /* the precision's codelets and the settings tasks take */
    MPI_Comm step_sync;    /* blr_potrf's step synchronisation: comm, or MPI_COMM_NULL */
    factor_identity_t identity;
    size_t send_window;    /* memctl's fixed charge for StarPU-MPI's send buffers */
    size_t capacity;       /* per rank: --node-mem, or the node's memory shared by its ranks */
    size_t *tile_bytes;    /* every tile's size once built, on every rank (the memory plan) */
    double rss_start;      /* this rank's peak RSS before its tiles were built */
    report_t report;
    FILE *trace;           /* memctl rows, options.trace_path */
    FILE *task_trace;      /* task spans */
};

/* Watermarks, capacity, trace files, memctl and the step synchronisation
 * switch for this factor.
 * 0, or -1 with report.error set. */
int factor_memory_setup(blrchol_factor_t *f);
/* Collective, once the tiles are built or loaded: memctl's view of the
 * local tiles, every tile's size and reception bound on every rank, the
 * watermarks above the charge they leave.  0, or -1 without memory. */
int factor_memory_tiles_built(blrchol_factor_t *f);
/* Collective, after factor_memory_tiles_built: the memory plan of every
 * rank, and the fewest ranks that fit the capacity, in the report (the
 * same on every rank).  0, or -1 with report.error set. */
int factor_memory_plan(blrchol_factor_t *f);
/* Collective: the peaks per rank (memctl's charge, the allocator's count,
 * getrusage) and memctl's counters into the report. */
void factor_memory_collect(blrchol_factor_t *f);
/* Collective, after an allocation was refused somewhere: report.error names
 * the first rank refused and the bytes. */
void factor_memory_describe_oom(blrchol_factor_t *f);
/* Stop memctl, write and close the trace files. */
void factor_memory_teardown(blrchol_factor_t *f);

#endif
