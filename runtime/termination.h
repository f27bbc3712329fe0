/*
 * termination.h: a run asked to stop (SIGTERM, SIGINT, or the library
 * user).  The request is one flag per process that a signal handler may
 * set; the tasks see it and skip their work, so that whatever is submitted
 * drains at once, and the ranks agree by collectives on where to stop, so
 * that no rank waits for a message another rank never sends
 * (docs/design/termination.md).
 */
#ifndef BLRCHOL_TERMINATION_H
#define BLRCHOL_TERMINATION_H

#include <mpi.h>

/* Set this process's flag: async-signal-safe, from any thread. */
void termination_request(void);
/* This process's flag. */
int termination_requested(void);
/* SIGTERM and SIGINT set the flag; a second one ends the process the
 * default way.  0, or -1 if a handler could not be installed. */
int termination_catch_signals(void);

/* Collective on comm: 1 when some rank's flag is set, and then it is set
 * on every rank. */
int termination_agree(MPI_Comm comm);

/* An agreement started at one step boundary and read at the next, so that
 * a step's submission never waits for the slowest rank's (potrf.c). */
typedef struct termination_vote {
    MPI_Comm comm;
    MPI_Request request;
    int mine, any, pending;
} termination_vote_t;
void termination_vote_open(termination_vote_t *vote, MPI_Comm comm);
/* Collective, at each step boundary: 1 when the vote cast at the previous
 * boundary says stop (the flag is then set on every rank); else a new
 * vote is cast and 0 returned. */
int termination_vote_step(termination_vote_t *vote);
/* Collective: complete the vote in flight. */
void termination_vote_close(termination_vote_t *vote);

/* Wait for a request in naps of 50 us: Open MPI's blocking waits poll on a
 * core that the workers need. */
void wait_napping(MPI_Request *request);

#endif
