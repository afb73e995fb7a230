/*
 * starter.h - the commented first config that `boardpack init` writes.
 *
 * A starter config names the sources a user has, one per preset, each
 * under a comment that lists every field its preset reads and the header
 * names each goes by (asked of the presets in ingest.h, so the list is
 * the one ingest reads by), and how to get the export.  File sources
 * point at placeholders beside the config (exports/<id>.csv); connector
 * sources (api) carry placeholder accounts and the credentials' set-up,
 * with one <oauth> client per vendor that needs one.  What it writes is
 * a config bp_config_load() accepts as it is: only the data files are
 * missing until the user puts them there.
 *
 * Every comment is kept free of "--", which XML forbids inside one, so
 * the texts name no command-line option.
 */
#ifndef BP_STARTER_H
#define BP_STARTER_H

#include "err.h"

typedef struct bp_starter {
	const char *contacts;   /* one contacts preset ("hubspot"); deals of the
				   same preset come with it.  Required. */
	const char *spend;      /* comma-separated spend presets; NULL: none */
	const char *traffic;    /* comma-separated traffic presets; NULL: none */
	int api;                /* connector sources instead of files */
	const char *currency;   /* NULL: USD */
	const char *timezone;   /* an IANA zone; NULL: UTC */
	const char *name;       /* what the comments call the config file;
				   NULL: boardpack.xml */
} bp_starter;

/* The starter config for `s`, as a new string the caller frees.  Returns
 * NULL with BP_EUSAGE in err for an empty or unknown preset name (the
 * message lists the valid ones), a preset named twice, more than one
 * contacts preset, a preset no connector reads when s->api is set, a
 * currency that is not three capital letters, or a time zone that cannot
 * be loaded. */
char *bp_starter_config(const bp_starter *s, bp_err *err);

#endif
