#!/usr/bin/env python3
"""Checks the layout of a board pack PDF as a designer would, against its HTML.

    layout_check.py REPORT.pdf REPORT.html

Reads every word's box with poppler's `pdftotext -bbox` and the PDF's
named destinations with `pdfinfo -dests`, and checks:

  * no two words overlap, and no word leaves the page;
  * every page but the last is at least a quarter full (the height its
    words span, running header and footer aside, against the page's);
  * every <section id> of the HTML is a named place of the PDF, in the
    same order (the PDF's sections are the HTML's);
  * every word of the PDF that has a letter in it is a word of the HTML
    (so no heading is broken inside a word, and the two media say the
    same things).  Running headers and footers aside; words are split at
    white space, arrows and middle dots in both.  In Chinese, Japanese and
    Korean reports, which wrap between characters and change fonts inside
    words, a piece of two or more characters need only occur in the
    HTML's text.

Prints each problem (the first few of each kind) and exits 1 on any,
0 when the layout is clean.  Standard library only.
"""
import html
import re
import subprocess
import sys

MARGIN_BAND = 30.0   # the running header and footer live in these bands
SPLIT = re.compile(r"[\s\u2192\u00b7]+")


def words_of_pdf(path):
    out = subprocess.run(["pdftotext", "-bbox", path, "-"], capture_output=True,
                         text=True, check=True).stdout
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        w, h = float(m.group(1)), float(m.group(2))
        words = []
        for wm in re.finditer(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" '
                              r'yMax="([\d.-]+)">([^<]*)</word>', m.group(3)):
            x0, y0, x1, y1 = map(float, wm.group(1, 2, 3, 4))
            words.append((x0, y0, x1, y1, html.unescape(wm.group(5))))
        pages.append((w, h, words))
    return pages


def dests_of_pdf(path):
    out = subprocess.run(["pdfinfo", "-dests", path], capture_output=True,
                         text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        m = re.match(r'\s*(\d+)\s+\[\s*\w+\s+([\d.-]+)?.*\]\s+"([^"]+)"', line)
        if m:
            found.append((int(m.group(1)), -float(m.group(2) or 0), m.group(3)))
    return [name for _, _, name in sorted(found)]


def html_sections_and_words(path):
    doc = open(path, encoding="utf-8").read()
    sections = re.findall(r'<section\b[^>]*\bid="([^"]+)"', doc)
    m = re.search(r'<html\b[^>]*\blang="([^"]+)"', doc)
    lang = m.group(1) if m else ""
    body = re.sub(r"<style.*?</style>", " ", doc, flags=re.S)
    body = re.sub(r"<title>.*?</title>", " ", body, flags=re.S)
    # inline elements join their text, as the PDF's runs do; others part it
    body = re.sub(r"</?(?:span|b|i|em|strong)\b[^>]*>", "", body)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return (sections, set(w for w in SPLIT.split(text) if w),
            re.sub(r"\s+", "", text), lang)


def overlap(a, b):
    dx = min(a[2], b[2]) - max(a[0], b[0])
    dy = min(a[3], b[3]) - max(a[1], b[1])
    return dx > 0.5 and dy > 0.3 * min(a[3] - a[1], b[3] - b[1])


def main():
    pdf, page_html = sys.argv[1], sys.argv[2]
    pages = words_of_pdf(pdf)
    problems = {}

    def problem(kind, text):
        problems.setdefault(kind, []).append(text)

    sections, html_words, html_flat, lang = html_sections_and_words(page_html)
    cjk = lang.split("-")[0] in ("zh", "ja", "ko")
    for n, (w, h, words) in enumerate(pages, 1):
        for x0, y0, x1, y1, t in words:
            if x0 < 0 or y0 < 0 or x1 > w + 0.5 or y1 > h + 0.5:
                problem("a word leaves the page", f"page {n}: {t!r} at {x0:.0f},{y0:.0f}")
        # words sorted by their left edge; only near neighbours can overlap
        ws = sorted(words)
        for i, a in enumerate(ws):
            for b in ws[i + 1:]:
                if b[0] >= a[2]:
                    break
                if overlap(a, b):
                    problem("two words overlap", f"page {n}: {a[4]!r} and {b[4]!r} at {a[0]:.0f},{a[1]:.0f}")
        body = [x for x in words if x[1] > MARGIN_BAND and x[3] < h - MARGIN_BAND]
        if n < len(pages):
            span = (max(x[3] for x in body) - min(x[1] for x in body)) if body else 0
            if span < 0.25 * (h - 2 * MARGIN_BAND):
                problem("a page is less than a quarter full",
                        f"page {n}: its words span {span:.0f} of {h - 2 * MARGIN_BAND:.0f} points")
        for x in body:
            for piece in SPLIT.split(x[4]):
                if not re.search(r"[^\W\d_]", piece) or piece in html_words:
                    continue
                # Chinese and Japanese wrap between any two characters, and
                # a font change parts a word: there, a piece of two or more
                # characters need only be a piece of the HTML's text
                if cjk and len(piece) > 1 and piece in html_flat:
                    continue
                problem("a PDF word is no word of the HTML", f"page {n}: {piece!r}")
    dests = dests_of_pdf(pdf)
    missing = [s for s in sections if s not in dests]
    if missing:
        problem("an HTML section is not in the PDF", ", ".join(missing))
    common = [d for d in dests if d in sections]
    if [s for s in sections if s in common] != common:
        problem("the sections are in another order", f"HTML {sections}, PDF {dests}")
    for kind, items in problems.items():
        print(f"{kind} ({len(items)}):")
        for t in items[:6]:
            print("   ", t)
    print(f"{pdf}: {len(pages)} pages, {sum(len(p[2]) for p in pages)} words, "
          f"{len(dests)} sections; {sum(len(v) for v in problems.values())} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
