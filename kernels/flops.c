#include "kernels/tile_kernels.h"

#include <stdatomic.h>
#include <time.h>

/* Flops in units of one: a 64-bit integer is exact up to 9e18, enough for
 * any run, and atomics on integers need no lock. */
static atomic_ullong flops_executed;

void kernel_flops_add(double flops) { atomic_fetch_add(&flops_executed, (unsigned long long)flops); }
double kernel_flops_total(void) { return (double)atomic_load(&flops_executed); }
void kernel_flops_reset(void) { atomic_store(&flops_executed, 0); }

/* Kernel time in nanoseconds, integers again for lock-free atomics. */
static atomic_ullong nanoseconds[KERNEL_TIME_KINDS];
static atomic_long calls_made[KERNEL_TIME_KINDS];

const char *kernel_time_name(kernel_time_kind_t kind)
{
    static const char *const names[KERNEL_TIME_KINDS] = {"potrf", "trsm", "syrk", "gemm", "recompression"};
    return kind >= 0 && kind < KERNEL_TIME_KINDS ? names[kind] : "?";
}

double kernel_clock(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + 1e-9 * now.tv_nsec;
}

void kernel_time_add(kernel_time_kind_t kind, double seconds)
{
    atomic_fetch_add(&nanoseconds[kind], (unsigned long long)(seconds > 0 ? seconds * 1e9 : 0));
    atomic_fetch_add(&calls_made[kind], 1);
}

void kernel_time_totals(double seconds[KERNEL_TIME_KINDS], long calls[KERNEL_TIME_KINDS])
{
    for (int k = 0; k < KERNEL_TIME_KINDS; k++) {
        seconds[k] = 1e-9 * (double)atomic_load(&nanoseconds[k]);
        calls[k] = atomic_load(&calls_made[k]);
    }
}

void kernel_time_reset(void)
{
    for (int k = 0; k < KERNEL_TIME_KINDS; k++) {
        atomic_store(&nanoseconds[k], 0);
        atomic_store(&calls_made[k], 0);
    }
}
