/* micro.h - the clock and the median of the microbenchmarks (bench_seal.c,
 * bench_photo.c): each measures a run of n calls and reports the median run. */
#ifndef NP_BENCH_MICRO_H
#define NP_BENCH_MICRO_H

#include <stdlib.h>
#include <time.h>

static inline double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int
micro_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v's n runs (v is sorted). */
static inline double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), micro_cmp);
	return v[n / 2];
}

#endif
