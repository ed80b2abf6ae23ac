/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/apijson.c - the API's JSON: reading a request or a reply, and
 * writing one, byte for byte as the API has always written them
 *
 * jansson does the parsing. Where json-glib (which the API used before)
 * read valid JSON differently from jansson's defaults, apijson_parse() reads
 * it as json-glib did, so that no request gets another answer: any value at
 * the top, a number past the range of a 64-bit integer or of a double is a
 * number that is not an integer rather than an error (json-glib wrapped the
 * first to -1, which no member the API reads accepts either), "\u0000" ends
 * a string where it is read, a member given twice has its last value. What
 * is not JSON and json-glib let through (comments, single quotes, hex
 * numbers, raw control characters in strings...) is refused.
 *
 * The writer is ours, not json_dumps(): compact, members in insertion order,
 * and strings escaped as json-glib escaped them (\u00xx in lower case, DEL
 * escaped, UTF-8 as it is), which jansson does otherwise.
 */
#include <stdbool.h>
#include <string.h>

#include "portfwd/apijson.h"

/* Any value at the top (the API answers "not a JSON object" to the others),
 * and "\u0000" inside strings */
#define APIJSON_LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Whether @c can be part of a JSON number */
static bool apijson_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	       c == 'e' || c == 'E';
}

/*
 * apijson_defuse_number() - rewrite the number that ends at @end in @buf, one
 * jansson refused as out of range, as a real of the same length: an integer
 * past int64 keeps its magnitude ("123...789" becomes "123...7e2"), a real
 * past double becomes "0.0" and spaces
 * Return: false if no number of at least 3 characters ends there
 */
static bool apijson_defuse_number(char *buf, size_t end)
{
	size_t start = end, n;

	while (start && apijson_number_char(buf[start - 1]))
		start--;
	n = end - start;
	if (n < 3)
		return false;
	if (strcspn(buf + start, ".eE") >= n) {
		buf[end - 2] = 'e';
		buf[end - 1] = '2';
		return true;
	}
	buf[start] = '0';
	buf[start + 1] = '.';
	buf[start + 2] = '0';
	memset(buf + start + 3, ' ', n - 3);
	return true;
}

/**
 * apijson_parse() - parse one JSON text of the API: a request or a reply
 * @text:	the text, not necessarily NUL-terminated
 * @len:	its length in bytes
 *
 * Strict JSON (RFC 8259), one value and nothing after it but whitespace,
 * valid UTF-8, nesting at most 2048 deep (jansson's bound), read as
 * json-glib read it (see the top of this file). A number out of range costs
 * one more parse of a copy per such number (at least 3 bytes each).
 *
 * Return: the value, to json_decref(), or NULL if @text is not JSON
 */
json_t *apijson_parse(const char *text, size_t len)
{
	g_autofree char *copy = NULL;
	json_error_t error;
	json_t *v;
	size_t i;

	v = json_loadb(text, len, APIJSON_LOAD_FLAGS, &error);
	for (i = 0; !v && i <= len / 3; i++) {
		if (json_error_code(&error) != json_error_numeric_overflow ||
		    error.position < 0 || (size_t)error.position > len)
			break;
		if (!copy) {
			copy = g_malloc(len + 1);
			memcpy(copy, text, len);
			copy[len] = '\0';
		}
		if (!apijson_defuse_number(copy, (size_t)error.position))
			break;
		v = json_loadb(copy, len, APIJSON_LOAD_FLAGS, &error);
	}
	/* copy is g_autofree, which clang 14's analyser does not follow */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	return v;
}

/* @s quoted and escaped as json-glib did: \" \\ \b \f \n \r \t, other
 * bytes below 0x20 and DEL as \u00xx, UTF-8 as it is. (json-glib left 0x1f
 * as it was, which is not JSON: it is escaped like the others.) */
static void apijson_dump_string(GString *out, const char *s)
{
	static const char *const named[0x20] = {
		['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
		['\r'] = "\\r", ['\t'] = "\\t",
	};

	g_string_append_c(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			g_string_append_c(out, '\\');
		if (c < 0x20 && named[c])
			g_string_append(out, named[c]);
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (char)c);
	}
	g_string_append_c(out, '"');
}

static void apijson_dump_value(GString *out, json_t *v);

static void apijson_dump_object(GString *out, json_t *o)
{
	const char *name;
	bool first = true;
	json_t *v;

	g_string_append_c(out, '{');
	json_object_foreach(o, name, v)
	{
		if (!first)
			g_string_append_c(out, ',');
		first = false;
		apijson_dump_string(out, name);
		g_string_append_c(out, ':');
		apijson_dump_value(out, v);
	}
	g_string_append_c(out, '}');
}

static void apijson_dump_array(GString *out, json_t *a)
{
	size_t i;
	json_t *v;

	g_string_append_c(out, '[');
	json_array_foreach(a, i, v)
	{
		if (i)
			g_string_append_c(out, ',');
		apijson_dump_value(out, v);
	}
	g_string_append_c(out, ']');
}

/* A double as json-glib wrote it: %.17g, with ".0" if it would read as an
 * integer */
static void apijson_dump_real(GString *out, double d)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), d));
	if (!strpbrk(buf, ".eE"))
		g_string_append(out, ".0");
}

static void apijson_dump_value(GString *out, json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		apijson_dump_object(out, v);
		break;
	case JSON_ARRAY:
		apijson_dump_array(out, v);
		break;
	case JSON_STRING:
		apijson_dump_string(out, json_string_value(v));
		break;
	case JSON_INTEGER:
		g_string_append_printf(out, "%" JSON_INTEGER_FORMAT,
				       json_integer_value(v));
		break;
	case JSON_REAL:
		apijson_dump_real(out, json_real_value(v));
		break;
	case JSON_TRUE:
		g_string_append(out, "true");
		break;
	case JSON_FALSE:
		g_string_append(out, "false");
		break;
	case JSON_NULL:
		g_string_append(out, "null");
		break;
	}
}

/**
 * apijson_dump() - @v as compact JSON, as the API writes its replies and
 * requests: no whitespace, no newline, members in the order they were set
 * @v:		the value; NULL (jansson out of memory) writes null
 *
 * Return: the text, to g_free()
 */
char *apijson_dump(json_t *v)
{
	GString *out = g_string_new(NULL);

	if (v)
		apijson_dump_value(out, v);
	else
		g_string_append(out, "null");
	return g_string_free(out, FALSE);
}
