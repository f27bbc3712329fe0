/*
 * scratch.h: each thread's stack of workspace for the kernels' temporaries
 * (the factors being recompressed, their QRs and SVDs).  A GEMM task on
 * low-rank tiles needs a few small arrays; from malloc they cost a lock on
 * the process's one arena (process_memory.c) and, past the mmap threshold,
 * fresh zeroed pages every call.  Here a thread keeps what it used and
 * hands it out again: after the first calls of each size, no allocation.
 *
 * Not tile memory: memctl does not charge it.  Each thread holds at most
 * the most it ever had in use at once (a few nb x nb arrays at worst), in
 * one block once that high-water mark is known; the process's total is
 * scratch_peak_bytes() and is part of its RSS (docs/design/process-memory.md).
 */
#ifndef BLRCHOL_SCRATCH_H
#define BLRCHOL_SCRATCH_H

#include <stddef.h>

/* A position in the calling thread's stack, to pop back to. */
typedef struct scratch_mark {
    void *chunk;
    size_t used, live;
} scratch_mark_t;

scratch_mark_t scratch_mark(void);
/* bytes (64-byte aligned) on top of the calling thread's stack, or NULL when
 * malloc refuses.  Valid until the stack is popped below it. */
void *scratch_push(size_t bytes);
/* Release everything pushed since mark (on the same thread). */
void scratch_pop(scratch_mark_t mark);
/* The bytes all threads' stacks hold, now and at their peak. */
size_t scratch_bytes(void);
size_t scratch_peak_bytes(void);

#endif
