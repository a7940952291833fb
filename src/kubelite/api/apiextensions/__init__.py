"""apiextensions.k8s.io/v1: CustomResourceDefinitions, and the JSON Schema
dialect (`jsonschema`) they describe custom objects in."""
