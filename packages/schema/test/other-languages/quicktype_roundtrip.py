"""Reads messages through quicktype's generated Python and writes them back.

Copied next to the generated events_types.py and run there, it does what the schema
README shows a Python user: read a message with its generated function, and a tagged
union with the class of the variant its tag names (quicktype merges a union's
variants into one class, whose writer drops a variant's required nulls).

usage: python3 quicktype_roundtrip.py <message schema file> <fixture file>...
prints a JSON list with, per fixture, {"file", "back"} or {"file", "error"}
"""
import sys

# README: begin
import json

import events_types as t


def generated(suffix):
    """quicktype names each top-level type's functions <snake_case name>_from_dict and _to_dict."""
    return {name[: -len(suffix)].replace("_", ""): f for name, f in vars(t).items() if name.endswith(suffix)}


FROM_DICT, TO_DICT = generated("_from_dict"), generated("_to_dict")


def codec(schema_file):
    """(read, write) for a message; a tagged union reads and writes the variant its tag names."""
    with open(schema_file) as f:
        schema = json.load(f)
    if "discriminator" not in schema:
        name = schema["title"].lower()
        return FROM_DICT[name], TO_DICT[name]
    tag = schema["discriminator"]["propertyName"]
    variants = {}
    for option in schema["oneOf"]:
        name = option["$ref"].rsplit("/", 1)[-1]
        variants[schema["$defs"][name]["properties"][tag]["const"]] = FROM_DICT[name.lower()]
    return (lambda value: variants[value[tag]](value)), (lambda variant: variant.to_dict())
# README: end


def main(schema_file, files):
    read, write = codec(schema_file)
    results = []
    for path in files:
        with open(path) as f:
            value = json.load(f)
        try:
            results.append({"file": path, "back": write(read(value))})
        except Exception as error:  # reported per fixture, with what was raised
            results.append({"file": path, "error": repr(error)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
