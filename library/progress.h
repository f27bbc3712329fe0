/* progress.h: a steady progress line on stderr during a long phase. */
#ifndef BLRCHOL_PROGRESS_H
#define BLRCHOL_PROGRESS_H

/* Print "<phase>: NN% of tasks, ETA Ns" every `period` seconds, from
 * codelets_completed() relative to its value now, against `total`
 * tasks this rank runs.  No-op when quiet. */
void progress_start(const char *phase, long total, double period, int quiet);
void progress_stop(void);

#endif
