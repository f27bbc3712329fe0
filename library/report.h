/* report.h: the result of a run (blrchol_report_t, include/blrchol.h), as a
 * human summary and as one JSON object (report.c). */
#ifndef BLRCHOL_REPORT_H
#define BLRCHOL_REPORT_H

#include "include/blrchol.h"

typedef blrchol_report_t report_t;
#define REPORT_MAX_RANKS BLRCHOL_REPORT_MAX_RANKS

#endif
