/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for netd_endpoint_parse: endpoint records are read back from the state dir,
 * which anything with write access to it may have changed. A record that parses must format and
 * parse again to the same record.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "endpoint_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_endpoint ep, again;
	struct netd_err err = {0};
	char *text, *out = NULL, *out2 = NULL;

	if (size > 1 << 16)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (netd_endpoint_parse(text, "fuzz", &ep, &err) == 0) {
		if (netd_endpoint_format(&ep, &out, &err) != 0)
			abort(); /* everything parse accepts must be writable */
		if (netd_endpoint_parse(out, "fuzz", &again, &err) != 0)
			abort();
		if (netd_endpoint_format(&again, &out2, &err) != 0 || strcmp(out, out2) != 0)
			abort();
		netd_endpoint_clear(&again);
		netd_endpoint_clear(&ep);
		free(out);
		free(out2);
	} else if (err.code == 0 || !memchr(err.msg, '\0', sizeof(err.msg))) {
		abort(); /* a failure always says why */
	}
	free(text);
	return 0;
}
