/*
 * chart.h - chart geometry: data in, drawing primitives out.
 *
 * Pure computation, no I/O, no globals: the same input always gives the same
 * shapes, so the HTML (inline SVG) and the PDF (libharu paths) draw the same
 * chart.  Coordinates are user units, origin top-left, y down, as in SVG.
 *
 * Values are a matrix of series x categories.  NAN means "absent" (a ratio
 * whose denominator is 0, a month without data): it is not drawn at all,
 * never as 0.  Bars and lines start their value axis at 0 when every value
 * is >= 0; the axis is extended to "nice" ticks (1, 2, 5 times a power of
 * ten).
 *
 * No two texts of a chart overlap: category labels that do not fit their
 * slot are wrapped onto two lines, or thinned to every k-th (the last, the
 * period, always kept); the legend wraps; a value label that would touch
 * another text is left out.  Text widths are estimated generously, as the
 * fonts are not known here.
 */
#ifndef BP_CHART_H
#define BP_CHART_H

#include <stddef.h>
#include "err.h"

typedef enum {
	BP_CHART_BAR,          /* grouped vertical bars, one group per category */
	BP_CHART_LINE,         /* one polyline per series, a dot per value */
	BP_CHART_STACKED_BAR,  /* series stacked in one bar per category */
	BP_CHART_HEATMAP,      /* series = rows, categories = columns, shade by value */
	BP_CHART_FUNNEL        /* first series as centred horizontal bars, top to bottom */
} bp_chart_type;

/* Writes the text of value v (an axis tick or a value label) into buf and
 * returns its length, like snprintf.  `ctx` is the caller's. */
typedef int (*bp_chart_fmt)(double v, char *buf, size_t size, void *ctx);

typedef struct bp_chart_input {
	bp_chart_type type;
	double width, height;     /* <= 0 means 640 x 280 */
	const char *title;        /* NULL or "" for none */
	size_t ncats;             /* categories (x labels; heat-map columns) */
	const char *const *cats;
	size_t nseries;           /* >= 1 */
	const char *const *series;/* legend names; NULL entries (or NULL) = no legend */
	const unsigned *colors;   /* nseries 0xRRGGBB, or NULL: the palette in order */
	const double *values;     /* nseries * ncats, values[s * ncats + c], NAN = absent */
	const double *target;     /* ncats target values (NAN = none), or NULL */
	const char *target_label; /* legend text for the target line, NULL = "Target" */
	bp_chart_fmt fmt;         /* NULL: plain number with thousands separators */
	void *fmt_ctx;
	/* Bar charts: the text over a category whose every value is absent
	 * (a CAC without customers), so it reads as absent, not as missing
	 * from the chart; NULL: nothing. */
	const char *absent_label;
	/* More series than this (bar, stacked-bar, line): the largest
	 * max_series - 1 kept, the rest summed into one series named
	 * other_label (NULL: "Other"); 0: no limit.  For figures that add up. */
	size_t max_series;
	const char *other_label;
} bp_chart_input;

typedef enum {
	BP_SHAPE_RECT,      /* x, y, w, h */
	BP_SHAPE_LINE,      /* x, y -> x2, y2 */
	BP_SHAPE_POLYLINE,  /* pts[0..2*npts) as x0 y0 x1 y1 ... */
	BP_SHAPE_CIRCLE,    /* centre x, y; radius r */
	BP_SHAPE_TEXT       /* baseline at x, y; anchor; text */
} bp_shape_kind;

enum { BP_ANCHOR_START, BP_ANCHOR_MIDDLE, BP_ANCHOR_END };

typedef struct bp_shape {
	bp_shape_kind kind;
	double x, y, w, h, x2, y2, r;
	double *pts;            /* polyline only; owned by the chart */
	size_t npts;
	unsigned fill;          /* 0xRRGGBB: rect, circle, text */
	unsigned stroke;        /* 0xRRGGBB: line, polyline; rect when has_stroke */
	int has_stroke;
	double stroke_width;
	int dashed;             /* "4 3" dash pattern */
	double opacity;         /* 1.0 = opaque */
	double font_size;
	int anchor;             /* BP_ANCHOR_* */
	int bold;
	char *text;             /* text only, UTF-8; owned by the chart */
} bp_shape;

typedef struct bp_chart {
	double width, height;
	size_t n, cap;
	bp_shape *shapes;       /* in painting order */
} bp_chart;

/* Computes the geometry of a chart.  Returns a new chart (free it with
 * bp_chart_free), or NULL with BP_ECONFIG when the input is unusable (no
 * series). */
bp_chart *bp_chart_build(const bp_chart_input *in, bp_err *err);

/* Frees a chart and everything in it.  Accepts NULL. */
void bp_chart_free(bp_chart *c);

/* Nice axis for values in [lo, hi] with at most max_ticks ticks: step is
 * 1, 2 or 5 times a power of ten, *first <= lo and *first + (*count - 1) *
 * *step >= hi.  Returns the number of ticks (also in *count). */
int bp_chart_nice_ticks(double lo, double hi, int max_ticks, double *first,
			double *step, int *count);

/* The colour of series i: a palette of 20 that stay distinct side by side
 * (no two neighbours alike), repeating after that. */
unsigned bp_chart_color(size_t i);

#endif
