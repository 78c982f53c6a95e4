"""What mcpgen vendors verbatim into every generated package, beside its generated modules.

`runtime/` lands in each server as `_generated/runtime/`; `http_client/` lands as
`_generated/http_client/` in a server whose tools call HTTP APIs. They are ordinary typed,
tested packages here (mcpgen itself never imports them: they need the MCP SDK, which
mcpgen does not), laid out as in a generated package, so a copy is byte for byte its source.
"""
