/*
 * precision.h: the switch that turns one precision-generic source into a
 * real (d) or complex (z) instantiation, in the style of CHOLMOD's t_*.c
 * templates.  A generic source is named t_<name>.c; the build compiles it
 * twice, with -DPRECISION_D and with -DPRECISION_Z, and every function it
 * defines is spelled NAME(fn), which becomes fn_d or fn_z.
 *
 * The symmetry of the operator `*` (A = L L^*) is a run-time flag `conj`:
 * 0 gives ^T (real SPD, complex symmetric), 1 gives ^H (complex Hermitian).
 * In real precision conjugation is the identity, so the flag is ignored.
 */
#ifndef BLRCHOL_PRECISION_H
#define BLRCHOL_PRECISION_H

#include <complex.h>
#include <math.h>
#include <stddef.h>

#if defined(PRECISION_D)
typedef double scalar_t;
#define NAME(fn) fn##_d
#define SCALAR_IS_COMPLEX 0
#define SCALAR_CONJ(a) (a)
#define SCALAR_REAL(a) (a)
#define SCALAR_ABS(a) fabs(a)
#define SCALAR_ABS2(a) ((a) * (a))
#elif defined(PRECISION_Z)
typedef double complex scalar_t;
#define NAME(fn) fn##_z
#define SCALAR_IS_COMPLEX 1
/* Through a function: the run-time flag is conventionally a parameter named
 * `conj`, which would hide conj() at the point where the macro expands. */
static inline double complex scalar_conj_z(double complex a) { return conj(a); }
#define SCALAR_CONJ(a) scalar_conj_z(a)
#define SCALAR_REAL(a) creal(a)
#define SCALAR_ABS(a) cabs(a)
#define SCALAR_ABS2(a) (creal(a) * creal(a) + cimag(a) * cimag(a))
#else
#error "define PRECISION_D or PRECISION_Z before including precision.h"
#endif

/* conj(a) when the operator is Hermitian, a otherwise. */
#define SCALAR_STAR(a, conj) ((conj) ? SCALAR_CONJ(a) : (a))

#endif
