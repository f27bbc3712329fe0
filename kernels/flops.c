#include "kernels/tile_kernels.h"

#include <stdatomic.h>

/* Flops in units of one: a 64-bit integer is exact up to 9e18, enough for
 * any run, and atomics on integers need no lock. */
static atomic_ullong flops_executed;

void kernel_flops_add(double flops) { atomic_fetch_add(&flops_executed, (unsigned long long)flops); }
double kernel_flops_total(void) { return (double)atomic_load(&flops_executed); }
void kernel_flops_reset(void) { atomic_store(&flops_executed, 0); }
