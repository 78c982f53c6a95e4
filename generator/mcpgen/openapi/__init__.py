"""`mcpgen import openapi`: an OpenAPI description -> a curatable mcpgen spec.

Stages, one module each: `document` (load, `$ref`s), `schema` (OpenAPI schemas -> JSON Schema
2020-12 and shared types), `select`, `naming`, `convert` (operations -> tools), `reimport`
(3-way merge with the curated spec), `toml_writer`, `summary`; `importer` runs them.
"""
