/*
 * cholesky_tasks.h: the task graph of the tiled Cholesky factorisation,
 * walked once and for all (docs/design/algorithm.md).  The factorisation
 * submits the tasks it visits, the progress report counts them, and the
 * step synchronisation posts the receptions they need: all three from the
 * same walk.
 */
#ifndef BLRCHOL_CHOLESKY_TASKS_H
#define BLRCHOL_CHOLESKY_TASKS_H

#include "algorithm/desc.h"

typedef enum { CHOL_POTRF, CHOL_TRSM, CHOL_SYRK, CHOL_GEMM } chol_kind_t;

/* A task of step k, writing tile (m, n):
 *   POTRF (k, k);  TRSM (m, k) reads L_kk;  SYRK (n, n) reads A_nk;
 *   GEMM (m, n) reads A_mk and A_nk. */
typedef struct chol_task {
    chol_kind_t kind;
    int m, n, k;
} chol_task_t;

/* The tiles a task reads, as reads[r] = {row, column}: their number. */
int chol_task_reads(const chol_task_t *t, int reads[2][2]);

/* Step k in submission order: the diagonal (POTRF), the panel (TRSMs),
 * then the trailing update row by row (SYRK, then the row's GEMMs). */
typedef enum { PHASE_DIAGONAL, PHASE_PANEL, PHASE_UPDATE } chol_phase_t;

typedef struct task_visitor {
    int (*task)(void *ctx, const chol_task_t *t); /* non-zero stops the walk and is returned */
    void (*row_done)(void *ctx, int m, int k);    /* after row m's update tasks; NULL: nothing */
    void *ctx;
} task_visitor_t;

/* Visit the tasks of `phase` of step k, in the paper's order. */
int chol_walk_phase(const desc_t *A, int k, chol_phase_t phase, const task_visitor_t *visitor);

/* Tasks of the whole factorisation this rank runs (the owner of the tile
 * a task writes runs it): the progress denominator. */
long chol_tasks_run_here(const desc_t *A);

#endif
