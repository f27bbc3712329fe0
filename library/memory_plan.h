/*
 * memory_plan.h: how much memory each rank needs to factorise a matrix
 * whose tiles are built, worked out from their sizes and the task graph
 * without running it (docs/design/memctl.md, "memory plan").  Pure
 * arithmetic over the layout: a plan can be made for any rank count.
 */
#ifndef BLRCHOL_MEMORY_PLAN_H
#define BLRCHOL_MEMORY_PLAN_H

#include <stddef.h>

#include "algorithm/desc.h"

/* What the plan is made from, per tile (desc_index order). */
typedef struct plan_tiles {
    const size_t *actual;         /* bytes after compression */
    const size_t *bound;          /* what memctl reserves to receive it */
    const unsigned char *growing; /* 1: later updates may enlarge it (low-rank, off-diagonal) */
    double growth_margin;         /* memctl's pool: this fraction of each growing tile */
    size_t send_window;           /* StarPU-MPI's send buffers, charged for good */
    size_t message;               /* the largest message, packed */
    int lookahead;                /* the step look-ahead L, 0: unbounded (memctl/lookahead.h) */
} plan_tiles_t;

typedef struct rank_plan {
    double own_bytes;        /* its own tiles */
    double pool_bytes;       /* memctl's growth pool */
    int largest_step;        /* the step whose receptions reserve the most */
    double step_reserved;    /* that step's receptions at their bound */
    double step_actual;      /* the same receptions at their size after compression */
    double node_mem_min;     /* the least --node-mem memctl runs in with its default watermarks */
    double charge_bound;     /* the most memctl charges without a capacity: own, pool, send window and
                              * the largest receptions of L + 1 consecutive steps at their bound */
} rank_plan_t;

/* The plan of every rank of a P x Q grid: out[0 .. P Q - 1].  `layout`
 * gives n, nb and nt (its rank fields are not read).  0, or -1 without
 * memory. */
int memory_plan(const desc_t *layout, int p, int q, const plan_tiles_t *tiles, rank_plan_t *out);

/* The most square P x Q grid of `nranks` (Q >= P): P. */
int plan_default_grid_rows(int nranks);

/* The fewest ranks, at most `max_ranks`, on their default grids, whose
 * every node_mem_min is at most `node_mem`, among every count up to 32 and
 * steps of about a quarter (multiples of 4) beyond; 0 if none. */
int memory_plan_fewest_ranks(const desc_t *layout, const plan_tiles_t *tiles, size_t node_mem, int max_ranks);

#endif
