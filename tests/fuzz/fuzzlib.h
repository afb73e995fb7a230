/*
 * fuzzlib.h - what the fuzz targets that read files share: one private
 * folder per process, and files written into it.
 *
 * The modules under test read their input from files (a config, a
 * template beside its labels, a connector's pull folder), so a target
 * writes each input where they expect it rather than reaching round the
 * module.  Any failure here is the machine's, not the input's: it aborts
 * with a message, and libFuzzer reports it as a crash of the harness.
 */
#ifndef BP_FUZZLIB_H
#define BP_FUZZLIB_H

#include <stddef.h>

/* The process's folder ($TMPDIR or /tmp, "bp-fuzz-<what>-XXXXXX"), made
 * on the first call and removed with what it holds when the process
 * exits.  The same path on every call. */
const char *fz_dir(const char *what);

/* "<fz_dir>/<name>", in a static buffer valid until the next call. */
const char *fz_path(const char *name);

/* Writes n bytes to path (created or truncated, mode 0600). */
void fz_write(const char *path, const void *data, size_t n);

/* Copies the file `from` (relative to the repository root, where the
 * fuzz targets run) to `to`. */
void fz_copy(const char *from, const char *to);

/* Makes the folder `path` (mode 0700) unless it exists. */
void fz_mkdir(const char *path);

#endif
