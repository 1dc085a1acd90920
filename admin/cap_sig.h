/* cap_sig.h - the XML signature (XML-DSig) of a CAP alert, checked with
 * xmlsec1 (cap_sig.c); used by cap_parse.c when --require-signature is given. */
#ifndef NP_ADMIN_CAP_SIG_H
#define NP_ADMIN_CAP_SIG_H

#include <stddef.h>

/* Once before the first verify (0, or -1 with why); cleanup once after. */
int cap_sig_init(char *why, size_t whylen);
void cap_sig_cleanup(void);
/* 0 when doc (an xmlDocPtr) carries an enveloped signature over the whole
 * document (Reference URI="") that verifies with the public key of the PEM
 * certificate at cert_path; -1 with why otherwise. Only C14N, enveloped,
 * SHA-256 and RSA-SHA256 transforms are accepted, and no URI but "". */
int cap_sig_verify(void *doc, const char *cert_path, char *why, size_t whylen);

#endif
