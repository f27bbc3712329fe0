/*
 * process_memory.h: the memory a rank holds outside the tile allocator,
 * kept in proportion to it.  See process_memory.c for what and why.
 */
#ifndef BLRCHOL_PROCESS_MEMORY_H
#define BLRCHOL_PROCESS_MEMORY_H

/* The task window when the user asks for none (blrchol_runtime_options_t). */
#define PROCESS_MEMORY_DEFAULT_TASK_WINDOW 10000

/* Keep malloc to one arena unless MALLOC_ARENA_MAX says otherwise.  glibc
 * fixes its arena limit when a second thread first needs an arena: call
 * before any thread starts (blrchol_configure_malloc). */
void process_memory_configure_malloc(void);
/* Before StarPU starts: process_memory_configure_malloc (late, unless the
 * caller made it early) and a window of at most `window` submitted
 * unfinished tasks (0: no limit), unless the user set StarPU's own limit. */
void process_memory_configure(long window);
/* The task window in force: StarPU's limit on submitted tasks, 0 for none. */
int process_memory_task_window(void);
/* The process's peak resident set so far, in bytes (getrusage). */
double process_memory_peak_rss(void);

#endif
