"""Validates files against one exported schema with Python's jsonschema, as a Python user would.

The validator class is the one the schema's $schema names; the schema is checked
against its meta-schema first.

usage: /usr/bin/python3 jsonschema_verdicts.py <schema file> <file>...
prints {"validator": <class name>, "verdicts": [{"file", "valid"}, ...]}
   or: /usr/bin/python3 jsonschema_verdicts.py --each <schema file> <file holding a JSON array>
prints {"validator": <class name>, "verdicts": [<valid>, ...]}, one per element
"""
import json
import sys

from jsonschema.validators import validator_for


def checker(schema_file):
    with open(schema_file) as f:
        schema = json.load(f)
    validator = validator_for(schema)
    validator.check_schema(schema)
    return validator, validator(schema)


def each(schema_file, values_file):
    validator, check = checker(schema_file)
    with open(values_file) as f:
        values = json.load(f)
    json.dump({"validator": validator.__name__, "verdicts": [check.is_valid(value) for value in values]}, sys.stdout)


def main(schema_file, files):
    validator, check = checker(schema_file)
    verdicts = []
    for path in files:
        with open(path) as f:
            verdicts.append({"file": path, "valid": check.is_valid(json.load(f))})
    json.dump({"validator": validator.__name__, "verdicts": verdicts}, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "--each":
        each(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2:])
