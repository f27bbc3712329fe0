/*
 * lookahead.h: how far submission may run ahead of execution, in steps of
 * the factorisation (docs/design/memctl.md, "The step look-ahead").  A rank
 * does not begin step k + L before its own tasks of step k are done, so
 * the receptions it has reserved and not yet released belong to at most
 * L steps (plus the step whose copies are being freed).  No StarPU, no
 * MPI: the submitter counts its tasks in, the tasks' completion counts
 * them out.  One instance per process.
 */
#ifndef BLRCHOL_LOOKAHEAD_H
#define BLRCHOL_LOOKAHEAD_H

/* Bound the look-ahead of a factorisation of `nsteps` steps to `steps`
 * (0: unbounded, every call below does nothing).  0, or -1 without memory. */
int lookahead_start(int nsteps, int steps);
void lookahead_stop(void);

/* A task of step k that runs on this rank was submitted / is done (the
 * latter from any thread). */
void lookahead_task_submitted(int k);
void lookahead_task_done(int k);

/* Before submitting step k: wait until this rank's tasks of step k - L are
 * all done. */
void lookahead_enter_step(int k);

/* Times lookahead_enter_step waited, and for how long in all. */
void lookahead_get_waits(long *waits, double *seconds);

#endif
