/*
 * labels.c - the words of the reports, one table per language (labels.h).
 *
 * A table is a sorted array searched by bsearch: a report looks up a few
 * thousand labels, and the files hold a few hundred.
 */
#include "labels.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "mem.h"

enum { LANG, BASE, EN, NLEVELS };

typedef struct entry {
	char *key, *text;
} entry;

typedef struct table {
	entry *e;
	size_t n, cap;
} table;

struct bp_labels {
	table t[NLEVELS];
	int have;          /* the language's own (or base) file was found */
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

/* The text with every run of white space made one space, at the ends
 * too: "; " keeps the space that separates it from what follows. */
static char *collapse(const char *s)
{
	char *out = bp_xmalloc(strlen(s) + 1), *o = out;
	int space = 0;

	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = 1;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	if (space)
		*o++ = ' ';
	*o = '\0';
	return out;
}

/* Reads one file into t; a missing file leaves t empty.  -1 on a bad
 * file (err set). */
static int load_file(table *t, const char *path, bp_err *err)
{
	xmlParserCtxtPtr pc;
	xmlDocPtr doc;
	xmlNodePtr root, n;
	xmlErrorPtr e;
	int rc = -1;

	if (access(path, R_OK) != 0)
		return errno == ENOENT ? 0
		       : bp_err_at(err, BP_ECONFIG, path, 0, 0,
				   "cannot read label table: %s", strerror(errno));
	pc = xmlNewParserCtxt();
	doc = xmlCtxtReadFile(pc, path, "UTF-8", XML_PARSE_NONET |
			      XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			      XML_PARSE_BIG_LINES);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		e = xmlCtxtGetLastError(pc);
		bp_err_at(err, BP_ECONFIG, path, e ? e->line : 0, 0,
			  "label table is not well-formed xml");
		goto out;
	}
	if (!xmlStrEqual(root->name, BAD_CAST "labels")) {
		bp_err_at(err, BP_ECONFIG, path, xmlGetLineNo(root), 0,
			  "label table must have <labels> as its root, not <%s>",
			  (const char *)root->name);
		goto out;
	}
	for (n = root->children; n; n = n->next) {
		xmlChar *key, *text;

		if (n->type != XML_ELEMENT_NODE ||
		    !xmlStrEqual(n->name, BAD_CAST "label"))
			continue;
		key = xmlGetProp(n, BAD_CAST "key");
		if (!key || !*key) {
			xmlFree(key);
			bp_err_at(err, BP_ECONFIG, path, xmlGetLineNo(n), 0,
				  "<label> without a key");
			goto out;
		}
		text = xmlNodeGetContent(n);
		BP_GROW(t->e, t->n + 1, t->cap);
		t->e[t->n].key = bp_xstrdup((const char *)key);
		t->e[t->n].text = collapse(text ? (const char *)text : "");
		t->n++;
		xmlFree(key);
		xmlFree(text);
	}
	if (t->n)
		qsort(t->e, t->n, sizeof(*t->e), by_key);
	rc = 0;
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(pc);
	return rc;
}

bp_labels *bp_labels_load(const char *dir, const char *language, bp_err *err)
{
	const char *lang = language && *language ? language : "en";
	bp_labels *l = bp_xcalloc(1, sizeof(*l));
	char *names[NLEVELS], *path;
	size_t base_len = strcspn(lang, "-_");
	int i, rc = 0;

	names[LANG] = bp_xstrdup(lang);
	names[BASE] = bp_xstrndup(lang, base_len);
	names[EN] = bp_xstrdup("en");
	for (i = 0; i < NLEVELS && rc == 0; i++) {
		/* the same file is read once: "en", or "ko" as its own base */
		if ((i == BASE && strcmp(names[BASE], names[LANG]) == 0) ||
		    (i == EN && (strcmp(names[LANG], "en") == 0 ||
				 strcmp(names[BASE], "en") == 0)))
			continue;
		path = bp_xasprintf("%s/%s.xml", dir, names[i]);
		rc = load_file(&l->t[i], path, err);
		free(path);
	}
	l->have = l->t[LANG].n || l->t[BASE].n;
	/* English read as the language itself is also the English table */
	if (rc == 0 && !l->t[EN].n && (strcmp(names[LANG], "en") == 0 ||
				       strcmp(names[BASE], "en") == 0)) {
		i = l->t[LANG].n ? LANG : BASE;
		l->t[EN] = l->t[i];
		memset(&l->t[i], 0, sizeof(table));
	}
	for (i = 0; i < NLEVELS; i++)
		free(names[i]);
	if (rc < 0) {
		bp_labels_free(l);
		return NULL;
	}
	return l;
}

static const char *find(const table *t, const char *key)
{
	entry probe = { (char *)key, NULL }, *hit;

	if (!t->n || !key)
		return NULL;
	hit = bsearch(&probe, t->e, t->n, sizeof(*t->e), by_key);
	return hit ? hit->text : NULL;
}

const char *bp_labels_get(const bp_labels *l, const char *key)
{
	const char *s = NULL;
	int i;

	for (i = 0; l && i < NLEVELS && !s; i++)
		s = find(&l->t[i], key);
	return s;
}

const char *bp_labels_english(const bp_labels *l, const char *key)
{
	return l ? find(&l->t[EN], key) : NULL;
}

int bp_labels_have_language(const bp_labels *l)
{
	return l && l->have;
}

void bp_labels_free(bp_labels *l)
{
	size_t j;
	int i;

	if (!l)
		return;
	for (i = 0; i < NLEVELS; i++) {
		for (j = 0; j < l->t[i].n; j++) {
			free(l->t[i].e[j].key);
			free(l->t[i].e[j].text);
		}
		free(l->t[i].e);
	}
	free(l);
}
