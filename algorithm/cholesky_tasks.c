#include "algorithm/cholesky_tasks.h"

int chol_task_reads(const chol_task_t *t, int reads[2][2])
{
    switch (t->kind) {
    case CHOL_TRSM:
        reads[0][0] = reads[0][1] = t->k;
        return 1;
    case CHOL_SYRK:
        reads[0][0] = t->n, reads[0][1] = t->k;
        return 1;
    case CHOL_GEMM:
        reads[0][0] = t->m, reads[0][1] = t->k;
        reads[1][0] = t->n, reads[1][1] = t->k;
        return 2;
    default:
        return 0;
    }
}

static int visit(const task_visitor_t *v, chol_kind_t kind, int m, int n, int k)
{
    const chol_task_t task = {kind, m, n, k};
    return v->task(v->ctx, &task);
}

int chol_walk_phase(const desc_t *A, int k, chol_phase_t phase, const task_visitor_t *v)
{
    int stop = 0;
    switch (phase) {
    case PHASE_DIAGONAL:
        return visit(v, CHOL_POTRF, k, k, k);
    case PHASE_PANEL:
        for (int m = k + 1; m < A->nt && !stop; m++)
            stop = visit(v, CHOL_TRSM, m, k, k);
        return stop;
    case PHASE_UPDATE:
        for (int m = k + 1; m < A->nt && !stop; m++) {
            stop = visit(v, CHOL_SYRK, m, m, k);
            for (int n = k + 1; n < m && !stop; n++)
                stop = visit(v, CHOL_GEMM, m, n, k);
            if (!stop && v->row_done)
                v->row_done(v->ctx, m, k);
        }
        return stop;
    }
    return stop;
}

struct run_count {
    const desc_t *A;
    long tasks;
};

static int count_if_run_here(void *ctx, const chol_task_t *t)
{
    struct run_count *count = ctx;
    count->tasks += desc_is_mine(count->A, t->m, t->n);
    return 0;
}

long chol_tasks_run_here(const desc_t *A)
{
    struct run_count count = {A, 0};
    const task_visitor_t counter = {count_if_run_here, NULL, &count};
    for (int k = 0; k < A->nt; k++)
        for (chol_phase_t phase = PHASE_DIAGONAL; phase <= PHASE_UPDATE; phase++)
            chol_walk_phase(A, k, phase, &counter);
    return count.tasks;
}
