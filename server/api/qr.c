/*
 * api/qr.c: a QR code as SVG, drawn from libqrencode's module matrix.
 *
 * The SVG is written here from numbers only: one <path> of unit squares
 * on a white background, no text, no attribute taken from the input, so
 * whatever the encoded text holds it cannot become markup or script.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "api/api.h"

#define QR_QUIET 4 /* modules of white margin on each side */

char *
api_qr_svg(const char *text)
{
	QRcode *q;
	char *out = NULL;
	size_t cap, len = 0;
	int w, size, n;

	if (text == NULL || (q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
		return NULL;
	w = q->width;
	size = w + 2 * QR_QUIET;
	/* header and footer, plus at most "M%d %dh1v1h-1z" (about 20 bytes) per module */
	cap = 512 + (size_t)w * (size_t)w * 20;
	if ((out = malloc(cap)) == NULL)
		goto done;
	n = snprintf(out, cap,
	             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	             "height=\"%d\" shape-rendering=\"crispEdges\">"
	             "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	             size, size, size * 6, size * 6, size, size);
	if (n < 0 || (size_t)n >= cap)
		goto fail;
	len = (size_t)n;
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++) {
			if (!(q->data[y * w + x] & 1))
				continue;
			n = snprintf(out + len, cap - len, "M%d %dh1v1h-1z", x + QR_QUIET,
			             y + QR_QUIET);
			if (n < 0 || (size_t)n >= cap - len)
				goto fail;
			len += (size_t)n;
		}
	n = snprintf(out + len, cap - len, "\"/></svg>");
	if (n < 0 || (size_t)n >= cap - len)
		goto fail;
	goto done;
fail:
	free(out);
	out = NULL;
done:
	QRcode_free(q);
	return out;
}
