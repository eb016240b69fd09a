#!/usr/bin/env python3
"""Validate OSCAL JSON documents against NIST's assessment-results schema.

usage: validate.py SCHEMA FILE...

Exit status: 0 when every FILE is valid, 1 when one is not (each error on
stderr with its JSON path), 77 when python3-jsonschema is missing (automake's
SKIP), 2 on a usage error.

Python's re module has no Unicode property classes; the schema's \\p{L}
(letter) and \\p{N} (number) are rewritten to equivalent classes before the
schema is compiled: [^\\W\\d_] is exactly the letters of Python's Unicode-aware
\\w, and \\d its decimal digits (\\p{N} also holds other numerals, so this is
if anything stricter). Nothing else of the schema is changed.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(77)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    text = text.replace("\\\\p{L}", "[^\\\\W\\\\d_]").replace("\\\\p{N}", "\\\\d")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=jsonschema.FormatChecker())
    bad = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:50]:
            where = "/" + "/".join(str(p) for p in e.absolute_path)
            print("%s: %s: %s" % (path, where, e.message[:300]), file=sys.stderr)
        if errors:
            bad += 1
            print("%s: INVALID (%d errors)" % (path, len(errors)))
        else:
            print("%s: valid" % path)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
