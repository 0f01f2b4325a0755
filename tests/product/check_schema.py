#!/usr/bin/env python3
"""results.json files follow reports/results.schema.json, and the schema
rejects broken ones.

  check_schema.py SCHEMA RESULTS.json...

Each file must validate (python3-jsonschema, draft 2020-12); two broken
copies of the first (schema_version gone; a verdict that does not exist)
must not.  Prints a one-line summary; exit 1 otherwise.
"""

import copy
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    v = cls(schema)
    docs = []
    bad = 0
    for path in sys.argv[2:]:
        doc = json.load(open(path))
        docs.append(doc)
        errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        for e in errs[:5]:
            print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
        bad += bool(errs)

    broken1 = copy.deepcopy(docs[0])
    del broken1["schema_version"]
    broken2 = copy.deepcopy(docs[0])
    broken2["scenarios"][0]["verdict"] = "MAYBE"
    for name, doc in (("without schema_version", broken1),
                      ("with verdict MAYBE", broken2)):
        if v.is_valid(doc):
            print(f"a copy {name} passed the schema")
            bad += 1
    if bad:
        return 1
    print(f"{len(docs)} results.json valid (schema_version "
          f"{docs[0]['schema_version']}); 2 broken copies rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
