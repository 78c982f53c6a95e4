"""Handlers of the spec's tools, resources, resource templates and prompts, one module each. mcpgen adds a module for each new one and never rewrites these."""
