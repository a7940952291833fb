"""Object schemas, defaults and validation for every kind the API serves.

One declarative module per kind (DESIGN rule 3). `schema` is the small
vocabulary the declarations use to describe fields; the OpenAPI documents,
strict field validation, `kubectl explain` and strategic-merge patching all
read what they declare.
"""
