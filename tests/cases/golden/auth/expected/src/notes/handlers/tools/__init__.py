"""Handlers of the spec's tools, one module each. mcpgen adds a module for each new one and never rewrites these."""
