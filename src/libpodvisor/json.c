/*
 * A JSON check, so that a result or a log entry's fields that are not
 * JSON are refused before anything is sent, and a child's result that
 * is not JSON is bad input: jansson parses them, as podvisord does.
 */

#include <jansson.h>

#include "pvl.h"

/* Is s[0 .. len) one JSON text (with object, one JSON object)? */
bool
pvl_json_valid(const char *s, size_t len, bool object)
{
	json_error_t	 err;
	json_t		*v;
	bool		 ok;

	if ((v = json_loadb(s, len, JSON_DECODE_ANY, &err)) == NULL)
		return (false);
	ok = !object || json_is_object(v);
	json_decref(v);
	return (ok);
}
