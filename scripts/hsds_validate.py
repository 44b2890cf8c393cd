"""Validates an HSDS 3.0 export of maillage against the official schemas, with format checking.

Usage: hsds_validate.py SCHEMA_DIR EXPORT.json
The export is a page of `service` objects (`contents`); each is validated against
service.json, the other schema files being resolved by their file names ($ref "phone.json").
Prints one line per error and exits 1 when any object is invalid.
"""
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

schema_dir = pathlib.Path(sys.argv[1])
export = json.loads(pathlib.Path(sys.argv[2]).read_text(encoding="utf-8"))

checker = jsonschema.FormatChecker()
missing = {"uri", "email", "uuid", "date-time"} - set(checker.checkers)
if missing:
    sys.exit(f"vérification des formats incomplète (installer jsonschema[format]) : {sorted(missing)}")

registry = Registry().with_resources(
    (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012))
    for path in schema_dir.glob("*.json")
)
service = registry.contents("service.json")
validator = jsonschema.Draft202012Validator(service, registry=registry, format_checker=checker)

if export.get("hsds_version") != "3.0":
    sys.exit(f"hsds_version 3.0 attendu, trouvé {export.get('hsds_version')!r}")
objects = export["contents"]
errors = 0
for i, obj in enumerate(objects):
    for e in validator.iter_errors(obj):
        errors += 1
        print(f"contents[{i}]/{'/'.join(map(str, e.absolute_path))} : {e.message}")
print(f"{len(objects)} objet(s), {errors} erreur(s)")
sys.exit(1 if errors or not objects else 0)
