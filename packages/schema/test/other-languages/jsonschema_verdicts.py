"""Validates files against one exported schema with Python's jsonschema, as a Python user would.

The validator class is the one the schema's $schema names; the schema is checked
against its meta-schema first.

usage: /usr/bin/python3 jsonschema_verdicts.py <schema file> <file>...
prints {"validator": <class name>, "verdicts": [{"file", "valid"}, ...]}
"""
import json
import sys

from jsonschema.validators import validator_for


def main(schema_file, files):
    with open(schema_file) as f:
        schema = json.load(f)
    validator = validator_for(schema)
    validator.check_schema(schema)
    check = validator(schema)
    verdicts = []
    for path in files:
        with open(path) as f:
            verdicts.append({"file": path, "valid": check.is_valid(json.load(f))})
    json.dump({"validator": validator.__name__, "verdicts": verdicts}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
