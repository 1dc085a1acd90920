/* site_page.h - the pieces site_html.c and site_feed.c build pages and feeds
 * from (site_item.c): an entry or an announcement as HTML and as JSON-LD. */
#ifndef NP_SITE_PAGE_H
#define NP_SITE_PAGE_H

#include "site.h"

const char *site_kind_th(enum site_kind k);
const char *site_kind_en(enum site_kind k);
/* The village's place names, village first, in Thai or English (HTML-escaped). */
void site_where(struct site_buf *b, const struct site *s, const char *village, bool en);
/* root: the relative path from the page to the site's root ("", "../../"). */
void site_entry_html(struct site_buf *b, const struct site *s, const struct site_entry *e,
		     const char *root);
void site_entry_ld(struct site_buf *b, const struct site *s, const struct site_entry *e);
void site_ann_html(struct site_buf *b, const struct site *s, const struct site_ann *a);
/* url: the absolute URL of the page that shows it. */
void site_ann_ld(struct site_buf *b, const struct site *s, const struct site_ann *a,
		 const char *url);

/* The pages of a listing of n entries: ceil(n / SITE_PAGE), at least 1. */
size_t site_pages(size_t n);
/* A listing's k-th page (1-based) under dir ("", "p/50/"): index.html, page-2.html... */
void site_page_name(char *buf, size_t len, const char *dir, size_t k);

#endif
