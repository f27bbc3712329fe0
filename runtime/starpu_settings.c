/*
 * starpu_settings.c: one setting each, decided rather than inherited from
 * whichever StarPU line is installed.
 * - Send window: 4 sends packed at a time.  memctl charges the window for
 *   good (library/factor_memory.c), so it must be finite: 0, with which
 *   StarPU-MPI 1.3 never sends and 1.4 sends without limit, is refused.
 * - Memory throttle (1.4): off.  It reserves memory for a receive behind
 *   memctl's back, and memctl already bounds what receives hold.
 * - Multi-threaded sends (1.4): off.  Send buffers are counted
 *   (runtime/runtime_alloc.c) as StarPU-MPI packs them on its own thread.
 * Binding (STARPU_WORKERS_GETBIND, on by default from 1.4) is set by
 * runtime/placement.c for each rank.
 */
#include "runtime/starpu_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <starpu.h>

/* StarPU-MPI's send window when the variable is unset, in 1.3 and 1.4. */
#define STARPU_DEFAULT_NDETACHED_SEND 10

/* The integer value of `variable`, `otherwise` when it is unset. */
static int number_in_environment(const char *variable, int otherwise)
{
    const char *text = getenv(variable);
    return text && *text ? atoi(text) : otherwise;
}

int starpu_settings_valid(void)
{
    const char *sends = getenv("STARPU_MPI_NDETACHED_SEND");
    char *end;
    return !sends || (strtol(sends, &end, 10) > 0 && *end == 0);
}

void starpu_settings_apply(void)
{
    setenv("STARPU_MPI_NDETACHED_SEND", "4", 0);
    setenv("STARPU_MPI_MEM_THROTTLE", "0", 0);
    setenv("STARPU_MPI_THREAD_MULTIPLE_SEND", "0", 0);
}

starpu_settings_t starpu_settings_in_force(void)
{
    starpu_settings_t in_force;
    int major, minor, release;
    starpu_get_version(&major, &minor, &release);
    snprintf(in_force.version, sizeof in_force.version, "%d.%d.%d", major, minor, release);
    const int newer = major > 1 || minor >= 4;
    in_force.workers_getbind = number_in_environment("STARPU_WORKERS_GETBIND", newer) != 0;
    in_force.ndetached_send = number_in_environment("STARPU_MPI_NDETACHED_SEND", STARPU_DEFAULT_NDETACHED_SEND);
    /* 1.3 has neither: they are off there whatever the environment says. */
    in_force.mem_throttle = newer && number_in_environment("STARPU_MPI_MEM_THROTTLE", 0) != 0;
    in_force.thread_multiple_send = newer && number_in_environment("STARPU_MPI_THREAD_MULTIPLE_SEND", 0) != 0;
    return in_force;
}
