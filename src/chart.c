/*
 * chart.c - chart geometry: data in, drawing primitives out.
 *
 * Everything is computed here once; render.c only turns shapes into
 * elements, so the SVG and the PDF cannot disagree about a chart.  Text
 * widths are estimates (no font metrics in a pure module), generous enough
 * for DejaVu Sans and NanumGothic at the sizes used.
 */
#include "chart.h"
#include "format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define GRID_COLOR 0xE3E7EDu
#define AXIS_COLOR 0x9AA3AEu
#define LABEL_COLOR 0x4A5260u
#define TITLE_COLOR 0x1F2933u
#define TARGET_COLOR 0x1F2933u
#define HEAT_LOW 0xEEF3FBu
#define HEAT_HIGH 0x1F4E9Au

/* The plot rectangle inside the drawing. */
typedef struct box { double x, y, w, h; } box;

/* A text's box, to keep texts apart. */
typedef struct tbox { double x0, y0, x1, y1; } tbox;

typedef struct build {
	const bp_chart_input *in;
	bp_chart *c;
	tbox *placed;          /* every text drawn so far */
	size_t nplaced, capplaced;
	int cat_lines;         /* category labels: 1 or 2 lines */
	size_t cat_step;       /* every k-th category labelled */
} build;

unsigned bp_chart_color(size_t i)
{
	/* hues alternate warm and cool, then darker and lighter shades, so
	 * that neighbours in a legend or a stack never look alike */
	static const unsigned palette[] = {
		0x2E6FD8, 0xF28E2B, 0x3BA55C, 0xD64550, 0x8E6CC4,
		0x1FA5A8, 0xE3B505, 0x9C6B4E, 0xE377C2, 0x7F8C8D,
		0x1B3F8B, 0xA5D86E, 0x8B1E3F, 0x56B4E9, 0xC9A0DC,
		0x2F6B3A, 0xF4A582, 0x5D4A8A, 0xBDB76B, 0x00838F,
	};
	return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

int bp_chart_nice_ticks(double lo, double hi, int max_ticks, double *first,
			double *step, int *count)
{
	static const double mult[] = {1, 2, 5, 10};
	double raw, mag, s = 1, lo_i = 0, hi_i = 1;
	size_t i;

	if (max_ticks < 2)
		max_ticks = 2;
	if (!(hi > lo)) {
		/* a flat series still gets an axis that shows it */
		hi = lo == 0 ? 1 : lo + fabs(lo);
		if (lo > 0)
			lo = 0;
	}
	raw = (hi - lo) / (max_ticks - 1);
	mag = pow(10.0, floor(log10(raw)));
	for (i = 0; i < sizeof(mult) / sizeof(mult[0]); i++) {
		s = mult[i] * mag;
		lo_i = floor(lo / s + 1e-9);
		hi_i = ceil(hi / s - 1e-9);
		if (hi_i - lo_i + 1 <= max_ticks)
			break;
	}
	*step = s;
	*first = lo_i * s;
	*count = (int)(hi_i - lo_i) + 1;
	return *count;
}

static bp_shape *add(build *b, bp_shape_kind kind)
{
	bp_chart *c = b->c;
	bp_shape *s;

	BP_GROW(c->shapes, c->n + 1, c->cap);
	s = &c->shapes[c->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->opacity = 1.0;
	s->stroke_width = 1.0;
	return s;
}

/* One constructor per shape kind: each sets its own fields of bp_shape. */
static void rect(build *b, double x, double y, double w, double h,
		 unsigned fill)
{
	bp_shape *s = add(b, BP_SHAPE_RECT);
	s->x = x;
	s->y = y;
	s->w = w;
	s->h = h;
	s->fill = fill;
}

static void line(build *b, double x1, double y1, double x2, double y2,
		 unsigned color, double width, int dashed)
{
	bp_shape *s = add(b, BP_SHAPE_LINE);
	s->x = x1;
	s->y = y1;
	s->x2 = x2;
	s->y2 = y2;
	s->stroke = color;
	s->stroke_width = width;
	s->dashed = dashed;
}

/* Estimated width: CJK and other wide characters count about double;
 * digits and capitals are wide in DejaVu Sans, so the average is kept
 * on the generous side. */
static double text_width(const char *t, double size)
{
	double units = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)(t ? t : ""); *p; p++) {
		if ((*p & 0xC0) == 0x80)
			continue;
		units += *p >= 0xE1 && *p <= 0xEF ? 1.75
			 : (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			   *p >= 0xC0 ? 1.12 : 1.0;
	}
	return units * size * 0.58;
}

static tbox box_of(double x, double y, double size, int anchor, const char *t)
{
	double w = text_width(t, size);
	tbox r;

	r.x0 = anchor == BP_ANCHOR_START ? x : anchor == BP_ANCHOR_END ? x - w
									: x - w / 2;
	r.x1 = r.x0 + w;
	r.y0 = y - size * 0.95;
	r.y1 = y + size * 0.3;
	return r;
}

static int overlaps(const build *b, tbox r)
{
	size_t i;

	for (i = 0; i < b->nplaced; i++) {
		const tbox *q = &b->placed[i];

		if (r.x0 < q->x1 + 1 && q->x0 < r.x1 + 1 && r.y0 < q->y1 &&
		    q->y0 < r.y1)
			return 1;
	}
	return 0;
}

static void text(build *b, double x, double y, double size, int anchor,
		 unsigned color, int bold, const char *t)
{
	bp_shape *s;

	if (!t || !*t)
		return;
	s = add(b, BP_SHAPE_TEXT);
	s->text = bp_xstrdup(t);
	s->x = x;
	s->y = y;
	s->font_size = size;
	s->anchor = anchor;
	s->fill = color;
	s->bold = bold;
	BP_GROW(b->placed, b->nplaced + 1, b->capplaced);
	b->placed[b->nplaced++] = box_of(x, y, size, anchor, t);
}

/* A text that may be left out: drawn only where it touches no other text
 * and stays inside the drawing.  Returns whether it was drawn. */
static int soft_text(build *b, double x, double y, double size, int anchor,
		     unsigned color, const char *t)
{
	tbox r = box_of(x, y, size, anchor, t);

	if (!t || !*t || overlaps(b, r) || r.x0 < 0 || r.x1 > b->c->width ||
	    r.y0 < 0 || r.y1 > b->c->height)
		return 0;
	text(b, x, y, size, anchor, color, 0, t);
	return 1;
}

static void fmt(build *b, double v, char *buf, size_t size)
{
	if (b->in->fmt) {
		b->in->fmt(v, buf, size, b->in->fmt_ctx);
		return;
	}
	if (v == floor(v))
		bp_format_int(v, buf, size);
	else
		bp_format_num(v, fabs(v) < 10 ? 2 : 1, buf, size);
}

/* A series' own colour when the caller gave one (so a channel looks the
 * same in every chart), else the palette's in order. */
static unsigned series_color(const bp_chart_input *in, size_t s)
{
	return in->colors ? in->colors[s] : bp_chart_color(s);
}

static double val(const bp_chart_input *in, size_t s, size_t c)
{
	return in->values[s * in->ncats + c];
}

static int has_legend(const bp_chart_input *in)
{
	size_t i;

	if (in->target)
		return 1;
	for (i = 0; in->series && i < in->nseries; i++)
		if (in->series[i] && in->series[i][0] && in->nseries > 1)
			return 1;
	return 0;
}

/* Draws the title and the legend, which wraps onto as many lines as it
 * needs; returns the y where the plot may start. */
static double header(build *b)
{
	const bp_chart_input *in = b->in;
	double y = 6, x = 8, w, right = b->c->width - 8;
	const char *tl = in->target_label ? in->target_label : "Target";
	size_t i;

	if (in->title && in->title[0]) {
		text(b, 8, 20, 13, BP_ANCHOR_START, TITLE_COLOR, 1, in->title);
		y = 30;
	}
	if (!has_legend(in) || in->type == BP_CHART_HEATMAP ||
	    in->type == BP_CHART_FUNNEL)
		return y + 8;
	for (i = 0; in->series && in->nseries > 1 && i < in->nseries; i++) {
		if (!in->series[i])
			continue;
		w = 24 + text_width(in->series[i], 10);
		if (x > 8 && x + w - 10 > right) {
			x = 8;
			y += 16;
		}
		rect(b, x, y + 3, 10, 10, series_color(in, i));
		text(b, x + 14, y + 12, 10, BP_ANCHOR_START, LABEL_COLOR, 0,
		     in->series[i]);
		x += w;
	}
	if (in->target) {
		if (x > 8 && x + 32 + text_width(tl, 10) > right) {
			x = 8;
			y += 16;
		}
		line(b, x, y + 8, x + 18, y + 8, TARGET_COLOR, 1.5, 1);
		text(b, x + 22, y + 12, 10, BP_ANCHOR_START, LABEL_COLOR, 0, tl);
	}
	return y + 26;
}

/* Range of every present value (and target), stacked when asked. */
static void value_range(const bp_chart_input *in, int stacked, double *lo,
			double *hi)
{
	size_t s, c;

	*lo = 0;
	*hi = 0;
	for (c = 0; c < in->ncats; c++) {
		double pos = 0, neg = 0;

		for (s = 0; s < in->nseries; s++) {
			double v = val(in, s, c);

			if (isnan(v))
				continue;
			if (stacked) {
				*(v >= 0 ? &pos : &neg) += v;
				continue;
			}
			*hi = fmax(*hi, v);
			*lo = fmin(*lo, v);
		}
		*hi = fmax(*hi, pos);
		*lo = fmin(*lo, neg);
		if (in->target && !isnan(in->target[c])) {
			*hi = fmax(*hi, in->target[c]);
			*lo = fmin(*lo, in->target[c]);
		}
	}
}

typedef struct axis { double first, step, lo, hi; int count; } axis;

static double ypos(const box *p, const axis *a, double v)
{
	return p->y + p->h - (v - a->lo) / (a->hi - a->lo) * p->h;
}

/* Splits a label into two lines at the space (or after the arrow of
 * "Lead→MQL") nearest its middle; 0 when it has neither. */
static int split2(const char *t, char *l1, char *l2, size_t size)
{
	size_t n = strlen(t), best = 0, skip = 0, i;
	double d = 1e9;

	for (i = 1; i + 1 < n; i++) {
		int space = t[i] == ' ';
		int arrow = strncmp(t + i, "\xe2\x86\x92", 3) == 0 && i + 3 < n;
		size_t at = arrow ? i + 3 : i;

		if ((space || arrow) && fabs((double)at - n / 2.0) < d) {
			d = fabs((double)at - n / 2.0);
			best = at;
			skip = space;
		}
	}
	if (!best || best >= size || n - best >= size)
		return 0;
	memcpy(l1, t, best);
	l1[best] = '\0';
	snprintf(l2, size, "%s", t + best + skip);
	return 1;
}

/* How the category labels fit their slots of width cw: on one line, on
 * two, or one in every k (thinned). */
static void cat_layout(build *b, double cw)
{
	const bp_chart_input *in = b->in;
	double one = 0, two = 0;
	char l1[128], l2[128];
	size_t c;

	for (c = 0; c < in->ncats; c++) {
		double w = text_width(in->cats[c], 10);

		one = fmax(one, w);
		if (split2(in->cats[c], l1, l2, sizeof(l1)))
			w = fmax(text_width(l1, 10), text_width(l2, 10));
		two = fmax(two, w);
	}
	b->cat_lines = 1;
	b->cat_step = 1;
	if (one <= cw - 4)
		return;
	if (two <= cw - 4) {
		b->cat_lines = 2;
		return;
	}
	b->cat_step = (size_t)ceil((one + 8) / cw);
}

/* Grid lines, tick labels and category labels; fills the axis. */
static void axes(build *b, const box *p, axis *a, int stacked)
{
	const bp_chart_input *in = b->in;
	char buf[64], l1[128], l2[128];
	double lo, hi, cw, x, y;
	size_t c, k = b->cat_step;
	int i;

	value_range(in, stacked, &lo, &hi);
	/* Fewer ticks where the labels' format would write two alike (an
	 * axis of whole won from 0 to 1 in fifths: ₩0, ₩0, ₩0, ₩1...). */
	for (i = 6; i >= 2; i--) {
		char prev[64] = "";
		int j, alike = 0;

		bp_chart_nice_ticks(lo, hi, i, &a->first, &a->step, &a->count);
		for (j = 0; j < a->count && !alike; j++) {
			double v = a->first + a->step * j;

			fmt(b, fabs(v) < a->step * 1e-6 ? 0 : v, buf, sizeof(buf));
			alike = j && !strcmp(buf, prev);
			snprintf(prev, sizeof(prev), "%s", buf);
		}
		if (!alike)
			break;
	}
	a->lo = a->first;
	a->hi = a->first + a->step * (a->count - 1);
	for (i = 0; i < a->count; i++) {
		double v = a->first + a->step * i;

		y = ypos(p, a, v);
		line(b, p->x, y, p->x + p->w, y, i ? GRID_COLOR : AXIS_COLOR, 1, 0);
		fmt(b, fabs(v) < a->step * 1e-6 ? 0 : v, buf, sizeof(buf));
		text(b, p->x - 6, y + 3.5, 10, BP_ANCHOR_END, LABEL_COLOR, 0, buf);
	}
	cw = p->w / (double)in->ncats;
	for (c = 0; c < in->ncats; c++) {
		/* thinned from the end: the latest month is always named */
		if ((in->ncats - 1 - c) % k)
			continue;
		x = p->x + cw * (c + 0.5);
		y = p->y + p->h + 16;
		if (b->cat_lines == 2 && split2(in->cats[c], l1, l2, sizeof(l1)) &&
		    text_width(in->cats[c], 10) > cw - 4) {
			text(b, x, y, 10, BP_ANCHOR_MIDDLE, LABEL_COLOR, 0, l1);
			text(b, x, y + 12, 10, BP_ANCHOR_MIDDLE, LABEL_COLOR, 0, l2);
		} else {
			text(b, x, y, 10, BP_ANCHOR_MIDDLE, LABEL_COLOR, 0, in->cats[c]);
		}
	}
}

/* Value labels only where they fit. */
static int labels_fit(const bp_chart_input *in, const box *p)
{
	return p->w / (double)(in->ncats * in->nseries) >= 34;
}

/* The target as a dashed segment over each category. */
static void target_bars(build *b, const box *p, const axis *a)
{
	double cw = p->w / (double)b->in->ncats;
	size_t c;

	for (c = 0; b->in->target && c < b->in->ncats; c++) {
		double t = b->in->target[c], y;

		if (isnan(t))
			continue;
		y = ypos(p, a, t);
		line(b, p->x + cw * c + cw * 0.08, y, p->x + cw * (c + 1) - cw * 0.08,
		     y, TARGET_COLOR, 1.5, 1);
	}
}

static void bars(build *b, const box *p)
{
	const bp_chart_input *in = b->in;
	double cw = p->w / (double)in->ncats, bw = cw * 0.7 / (double)in->nseries;
	int lab = labels_fit(in, p);
	char buf[64];
	axis a;
	size_t s, c;

	axes(b, p, &a, 0);
	for (c = 0; c < in->ncats; c++) {
		int any = 0;

		for (s = 0; s < in->nseries; s++) {
			double v = val(in, s, c), x, y0, y1;

			if (isnan(v))
				continue;
			any = 1;
			x = p->x + cw * c + cw * 0.15 + bw * s;
			y0 = ypos(p, &a, 0);
			y1 = ypos(p, &a, v);
			rect(b, x, fmin(y0, y1), bw, fabs(y0 - y1), series_color(in, s));
			if (!lab)
				continue;
			fmt(b, v, buf, sizeof(buf));
			/* inside a tall bar, so a target line just above it
			 * cannot cross the number */
			if (fabs(y0 - y1) > 18 && v > 0 &&
			    text_width(buf, 9) < bw + 2)
				soft_text(b, x + bw / 2, y1 + 13, 9, BP_ANCHOR_MIDDLE,
					  0xFFFFFFu, buf);
			else
				soft_text(b, x + bw / 2, fmin(y0, y1) - 4, 9,
					  BP_ANCHOR_MIDDLE, LABEL_COLOR, buf);
		}
		/* a figure that does not exist is said so, never drawn as 0 */
		if (!any && in->absent_label &&
		    !soft_text(b, p->x + cw * (c + 0.5), ypos(p, &a, 0) - 6, 9,
			       BP_ANCHOR_MIDDLE, LABEL_COLOR, in->absent_label))
			soft_text(b, p->x + cw * (c + 0.5), ypos(p, &a, 0) - 6, 9,
				  BP_ANCHOR_MIDDLE, LABEL_COLOR, "\xe2\x80\x94");
	}
	target_bars(b, p, &a);
}

static void stacked(build *b, const box *p)
{
	const bp_chart_input *in = b->in;
	double cw = p->w / (double)in->ncats, bw = cw * 0.6;
	char buf[64];
	axis a;
	size_t s, c;

	axes(b, p, &a, 1);
	for (c = 0; c < in->ncats; c++) {
		double pos = 0, neg = 0, x = p->x + cw * c + cw * 0.2;
		int any = 0;

		for (s = 0; s < in->nseries; s++) {
			double v = val(in, s, c), *base, y0, y1;

			if (isnan(v))
				continue;
			any = 1;
			base = v >= 0 ? &pos : &neg;
			y0 = ypos(p, &a, *base);
			y1 = ypos(p, &a, *base + v);
			*base += v;
			rect(b, x, fmin(y0, y1), bw, fabs(y0 - y1), series_color(in, s));
		}
		if (!any || cw < 34)
			continue;
		fmt(b, pos + neg, buf, sizeof(buf));
		soft_text(b, x + bw / 2, ypos(p, &a, pos) - 4, 9, BP_ANCHOR_MIDDLE,
			  LABEL_COLOR, buf);
	}
	target_bars(b, p, &a);
}

/* One polyline per run of present values: a gap stays a gap. */
static void polyline_runs(build *b, const box *p, const axis *a,
			  const double *v, unsigned color, int dashed)
{
	double cw = p->w / (double)b->in->ncats;
	size_t c = 0, n = b->in->ncats;

	while (c < n) {
		size_t start, k;
		bp_shape *s;

		while (c < n && isnan(v[c]))
			c++;
		start = c;
		while (c < n && !isnan(v[c]))
			c++;
		/* a target of one month alone: a dash over that month */
		if (c - start == 1 && dashed)
			line(b, p->x + cw * (start + 0.1), ypos(p, a, v[start]),
			     p->x + cw * (start + 0.9), ypos(p, a, v[start]), color,
			     1.5, 1);
		if (c - start < 2)
			continue;
		s = add(b, BP_SHAPE_POLYLINE);
		s->pts = bp_xreallocarray(NULL, 2 * (c - start), sizeof(double));
		for (k = start; k < c; k++) {
			s->pts[2 * (k - start)] = p->x + cw * (k + 0.5);
			s->pts[2 * (k - start) + 1] = ypos(p, a, v[k]);
		}
		s->npts = c - start;
		s->stroke = color;
		s->stroke_width = dashed ? 1.5 : 2;
		s->dashed = dashed;
	}
}

static void lines(build *b, const box *p)
{
	const bp_chart_input *in = b->in;
	double cw = p->w / (double)in->ncats;
	int lab = in->nseries <= 2 && cw >= 40;
	char buf[64];
	axis a;
	size_t s, c;

	axes(b, p, &a, 0);
	if (in->target)
		polyline_runs(b, p, &a, in->target, TARGET_COLOR, 1);
	for (s = 0; s < in->nseries; s++) {
		polyline_runs(b, p, &a, in->values + s * in->ncats,
			      series_color(in, s), 0);
		for (c = 0; c < in->ncats; c++) {
			double v = val(in, s, c);
			bp_shape *dot;

			if (isnan(v))
				continue;
			dot = add(b, BP_SHAPE_CIRCLE);
			dot->x = p->x + cw * (c + 0.5);
			dot->y = ypos(p, &a, v);
			dot->r = 3;
			dot->fill = series_color(in, s);
		}
	}
	/* value labels after every line, so none is placed on another's */
	for (s = 0; lab && s < in->nseries; s++) {
		for (c = 0; c < in->ncats; c++) {
			double v = val(in, s, c), x = p->x + cw * (c + 0.5);

			if (isnan(v))
				continue;
			fmt(b, v, buf, sizeof(buf));
			if (!soft_text(b, x, ypos(p, &a, v) - 7, 9, BP_ANCHOR_MIDDLE,
				       LABEL_COLOR, buf))
				soft_text(b, x, ypos(p, &a, v) + 14, 9,
					  BP_ANCHOR_MIDDLE, LABEL_COLOR, buf);
		}
	}
}

static unsigned mix(unsigned lo, unsigned hi, double t)
{
	unsigned out = 0;
	int shift;

	for (shift = 16; shift >= 0; shift -= 8) {
		double a = (lo >> shift) & 0xFF, z = (hi >> shift) & 0xFF;

		out |= (unsigned)lround(a + (z - a) * t) << shift;
	}
	return out;
}

static double widest(const char *const *t, size_t n, double size)
{
	double w = 0;
	size_t i;

	for (i = 0; t && i < n; i++)
		w = fmax(w, text_width(t[i], size));
	return w;
}

/* Cells shaded from the smallest to the largest present value. */
static void heatmap(build *b, box p)
{
	const bp_chart_input *in = b->in;
	double lo = INFINITY, hi = -INFINITY, cw, ch, lw, one = 0, two = 0, size;
	char buf[64], l1[128], l2[128];
	size_t s, c;

	lw = fmin(fmax(widest(in->series, in->nseries, 10) + 10, 40), p.w / 3);
	p.x += lw - 56;
	p.w -= lw - 56;
	/* room for two lines of column heads */
	p.y += 26;
	p.h = b->c->height - p.y - 6;
	cw = p.w / (double)in->ncats;
	ch = p.h / (double)in->nseries;
	for (s = 0; s < in->nseries * in->ncats; s++) {
		if (!isnan(in->values[s])) {
			lo = fmin(lo, in->values[s]);
			hi = fmax(hi, in->values[s]);
		}
	}
	/* column heads: on one line, else two, else smaller until they fit */
	for (c = 0; c < in->ncats; c++)
		one = fmax(one, text_width(in->cats[c], 10) * 1.08);
	for (c = 0; c < in->ncats; c++) {
		double w = text_width(in->cats[c], 10) * 1.08;

		if (split2(in->cats[c], l1, l2, sizeof(l1)))
			w = fmax(text_width(l1, 10), text_width(l2, 10)) * 1.08;
		two = fmax(two, w);
	}
	size = one <= cw - 4 ? 10 : fmax(6, fmin(10, 10 * (cw - 4) / two));
	for (c = 0; c < in->ncats; c++) {
		double x = p.x + cw * (c + 0.5);

		if (one > cw - 4 && split2(in->cats[c], l1, l2, sizeof(l1))) {
			text(b, x, p.y - 8 - size * 1.15, size, BP_ANCHOR_MIDDLE,
			     LABEL_COLOR, 1, l1);
			text(b, x, p.y - 8, size, BP_ANCHOR_MIDDLE, LABEL_COLOR, 1, l2);
		} else {
			text(b, x, p.y - 6, size, BP_ANCHOR_MIDDLE, LABEL_COLOR, 1,
			     in->cats[c]);
		}
	}
	for (s = 0; s < in->nseries; s++) {
		double y = p.y + ch * s;

		if (in->series)
			text(b, p.x - 8, y + ch / 2 + 3.5, 10, BP_ANCHOR_END,
			     LABEL_COLOR, 0, in->series[s]);
		for (c = 0; c < in->ncats; c++) {
			double v = val(in, s, c), t;

			if (isnan(v))
				continue;
			t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
			rect(b, p.x + cw * c + 1, y + 1, cw - 2, ch - 2,
			     mix(HEAT_LOW, HEAT_HIGH, t));
			fmt(b, v, buf, sizeof(buf));
			text(b, p.x + cw * (c + 0.5), y + ch / 2 + 3.5,
			     fmin(11, ch * 0.5), BP_ANCHOR_MIDDLE,
			     t > 0.55 ? 0xFFFFFFu : TITLE_COLOR, 0, buf);
		}
	}
}

/* Centred bars, widest first, with the step-to-step conversion. */
static void funnel(build *b, box p)
{
	const bp_chart_input *in = b->in;
	double max = 0, prev = NAN, rh, lw;
	char buf[64], pct[32];
	size_t c;

	for (c = 0; c < in->ncats; c++)
		if (!isnan(val(in, 0, c)))
			max = fmax(max, val(in, 0, c));
	lw = fmin(widest(in->cats, in->ncats, 11) + 12, p.w / 3);
	p.x += lw - 56;
	p.w -= lw - 56 + 96;
	p.h += 26;
	rh = p.h / (double)in->ncats;
	for (c = 0; c < in->ncats; c++) {
		double v = val(in, 0, c), w, y = p.y + rh * c;

		text(b, p.x - 8, y + rh / 2 + 4, 11, BP_ANCHOR_END, LABEL_COLOR, 0,
		     in->cats[c]);
		if (isnan(v))
			continue;
		w = max > 0 ? p.w * v / max : 0;
		rect(b, p.x + (p.w - w) / 2, y + 2, fmax(w, 1), rh - 4,
		     bp_chart_color(0));
		fmt(b, v, buf, sizeof(buf));
		if (!isnan(prev) && prev > 0) {
			bp_format_pct(v / prev, 1, pct, sizeof(pct));
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
				 " (%s)", pct);
		}
		text(b, p.x + p.w + 6, y + rh / 2 + 4, 10, BP_ANCHOR_START,
		     LABEL_COLOR, 0, buf);
		prev = v;
	}
}

void bp_chart_free(bp_chart *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->shapes[i].pts);
		free(c->shapes[i].text);
	}
	free(c->shapes);
	free(c);
}

/* The series of a merged chart: the largest kept, the rest in one. */
typedef struct merged {
	double *values;
	const char **series;
	unsigned *colors;
	size_t nseries;
} merged;

static double series_total(const bp_chart_input *in, size_t s)
{
	double t = 0;
	size_t c;

	for (c = 0; c < in->ncats; c++)
		if (!isnan(val(in, s, c)))
			t += fabs(val(in, s, c));
	return t;
}

/* Keeps the max_series - 1 largest series (in their order) and sums the
 * others into the last, so a legend of 100 channels stays readable. */
static void merge_series(const bp_chart_input *in, merged *m)
{
	size_t keep = in->max_series - 1, s, c, k, n = 0;
	char *kept = bp_xcalloc(in->nseries, 1);
	double *v;

	for (k = 0; k < keep; k++) {
		size_t best = in->nseries;

		for (s = 0; s < in->nseries; s++)
			if (!kept[s] && (best == in->nseries ||
					 series_total(in, s) > series_total(in, best)))
				best = s;
		kept[best] = 1;
	}
	m->nseries = keep + 1;
	m->values = bp_xreallocarray(NULL, m->nseries * (in->ncats ? in->ncats : 1),
				     sizeof(double));
	m->series = bp_xcalloc(m->nseries, sizeof(*m->series));
	m->colors = bp_xcalloc(m->nseries, sizeof(*m->colors));
	for (c = 0; c < m->nseries * in->ncats; c++)
		m->values[c] = NAN;
	for (s = 0; s < in->nseries; s++) {
		size_t to = kept[s] ? n++ : keep;

		if (kept[s]) {
			m->series[to] = in->series ? in->series[s] : NULL;
			m->colors[to] = series_color(in, s);
		}
		for (c = 0; c < in->ncats; c++) {
			v = &m->values[to * in->ncats + c];
			if (!isnan(val(in, s, c)))
				*v = isnan(*v) ? val(in, s, c) : *v + val(in, s, c);
		}
	}
	m->series[keep] = in->other_label ? in->other_label : "Other";
	m->colors[keep] = AXIS_COLOR;
	free(kept);
}

bp_chart *bp_chart_build(const bp_chart_input *in, bp_err *err)
{
	build b = {in, NULL, NULL, 0, 0, 1, 1};
	bp_chart_input copy;
	merged m = {NULL, NULL, NULL, 0};
	box p;

	if (!in || in->nseries < 1 || (in->ncats && !in->values))
		return bp_err_set(err, BP_ECONFIG, "chart has no series"), NULL;
	if (in->max_series > 1 && in->nseries > in->max_series &&
	    (in->type == BP_CHART_BAR || in->type == BP_CHART_STACKED_BAR ||
	     in->type == BP_CHART_LINE)) {
		merge_series(in, &m);
		copy = *in;
		copy.values = m.values;
		copy.series = m.series;
		copy.colors = m.colors;
		copy.nseries = m.nseries;
		b.in = &copy;
	}
	b.c = bp_xcalloc(1, sizeof(*b.c));
	b.c->width = in->width > 0 ? in->width : 640;
	b.c->height = in->height > 0 ? in->height : 280;
	p.y = header(&b);
	p.x = 64;
	p.w = b.c->width - p.x - 14;
	p.h = b.c->height - p.y - 26;
	if (in->ncats && p.w > 0 && in->type != BP_CHART_HEATMAP &&
	    in->type != BP_CHART_FUNNEL) {
		cat_layout(&b, p.w / (double)in->ncats);
		p.h -= b.cat_lines == 2 ? 12 : 0;
	}
	if (in->ncats == 0 || p.w <= 0 || p.h <= 0)
		goto done;
	switch (in->type) {
	case BP_CHART_BAR: bars(&b, &p); break;
	case BP_CHART_STACKED_BAR: stacked(&b, &p); break;
	case BP_CHART_LINE: lines(&b, &p); break;
	case BP_CHART_HEATMAP: heatmap(&b, p); break;
	case BP_CHART_FUNNEL: funnel(&b, p); break;
	}
done:
	free(m.values);
	free(m.series);
	free(m.colors);
	free(b.placed);
	return b.c;
}
