/* cap_sig.c - see cap_sig.h. xmlsec1 with OpenSSL (Debian libxmlsec1-openssl).
 * The key is the one of the certificate the operator names, never one the
 * file brings along (its KeyInfo is ignored), so an attacker's self-signed
 * certificate inside the file proves nothing; the certificate's dates are
 * not checked (TMD's expired in 2018 and still signs). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "cap_sig.h"

static int
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

int
cap_sig_init(char *why, size_t whylen)
{
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1)
		return say(why, whylen, "cannot start xmlsec1 (signature checks)");
	xmlSecErrorsDefaultCallbackEnableOutput(0);     /* the caller says why, once */
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		xmlSecShutdown();
		return say(why, whylen, "cannot start xmlsec1's OpenSSL backend");
	}
	return 0;
}

void
cap_sig_cleanup(void)
{
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
}

/* The transforms a CAP signature needs; anything else (XSLT, XPath, remote
 * URIs) is refused by xmlsec once a list is set. */
static int
limit_transforms(xmlSecDSigCtxPtr ctx)
{
	xmlSecTransformId ids[] = { xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
				    xmlSecTransformExclC14NId, xmlSecTransformEnvelopedId,
				    xmlSecTransformSha256Id, xmlSecTransformRsaSha256Id };
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, ids[i]) < 0
		    || xmlSecDSigCtxEnableSignatureTransform(ctx, ids[i]) < 0)
			return -1;
	}
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	return 0;
}

int
cap_sig_verify(void *docp, const char *cert_path, char *why, size_t whylen)
{
	xmlDocPtr doc = docp;
	xmlNodePtr node;
	xmlSecDSigCtxPtr ctx;
	int rc = -1;

	node = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs);
	if (node == NULL)
		return say(why, whylen, "carries no XML signature, and --require-signature wants one");
	ctx = xmlSecDSigCtxCreate(NULL);
	if (ctx == NULL)
		return say(why, whylen, "out of memory");
	ctx->signKey = xmlSecCryptoAppKeyLoad(cert_path, xmlSecKeyDataFormatCertPem, NULL, NULL,
					      NULL);
	if (ctx->signKey == NULL)
		say(why, whylen, "cannot read a PEM certificate from %s", cert_path);
	else if (limit_transforms(ctx) != 0)
		say(why, whylen, "out of memory");
	else if (xmlSecDSigCtxVerify(ctx, node) < 0)
		say(why, whylen, "its XML signature cannot be checked (a reference other than the "
		    "whole document, or an algorithm other than C14N, SHA-256 and RSA-SHA256)");
	else if (ctx->status != xmlSecDSigStatusSucceeded)
		say(why, whylen, "its XML signature does not verify with the key of %s (the "
		    "file was changed after signing, or signed by someone else)", cert_path);
	else
		rc = 0;
	xmlSecDSigCtxDestroy(ctx);
	return rc;
}
