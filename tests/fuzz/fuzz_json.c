/* fuzz_json.c: our strict JSON reader (json-c plus the RFC 8259 checks json.c adds): any bytes give a
 * document or an error, never a crash or a leak; a document it accepts prints and reads back the same. */
#include "tests/fuzz/fuzz.h"

#include "shared/json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_object *doc = json_parse((const char *)data, size, err, sizeof(err));
	json_object *again;
	size_t len;
	const char *text;

	if (doc == NULL)
		return 0;
	text = json_text(doc, &len);
	if ((again = json_parse(text, len, err, sizeof(err))) == NULL || !json_object_equal(doc, again))
		abort(); /* what we print we must read back */
	json_object_put(again);
	json_object_put(doc);
	return 0;
}
