/*
 * task_trace.h: when --trace is given, every codelet records which worker
 * ran it, its kind and its start and end times, so that a run can be drawn
 * as a timeline (bench/timeline): idle gaps and waits for remote data show
 * as holes between tasks.  Recording costs two clock reads per task and
 * nothing at all when tracing is off.
 */
#ifndef BLRCHOL_TASK_TRACE_H
#define BLRCHOL_TASK_TRACE_H

#include <stdio.h>

typedef enum {
    TASK_GENERATE, TASK_POTRF, TASK_TRSM, TASK_SYRK, TASK_GEMM, TASK_TRSV, TASK_GEMV, TASK_VECTOR_ADD, TASK_KINDS
} task_kind_t;

const char *task_kind_name(task_kind_t kind);

/* Start recording; times are seconds since this call. */
void task_trace_start(void);
/* 1 while recording. */
int task_trace_enabled(void);
/* Seconds since task_trace_start (0 when not recording). */
double task_trace_now(void);
/* Record a task of `kind` that ran from `start` to now on the calling
 * worker.  Each worker appends to its own buffer: no lock. */
void task_trace_record(task_kind_t kind, double start);
/* Write "rank,worker,kind,start,end" rows (with a header) and free the
 * buffers; call once every task has finished.  0, or -1 on a write error. */
int task_trace_write(FILE *out, int rank);

#endif
