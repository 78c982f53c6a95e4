"""mcpgen: compile a declarative MCP server spec into a typed Python server package."""

from pathlib import Path

__version__ = "0.1.0"


def templates_dir() -> Path:
    """Where the templates are: inside the package in a wheel, beside it in a checkout.

    Hatchling's force-include puts the top-level `templates/` into the wheel but not into
    an editable install, which maps only `generator/mcpgen`; so look in both places.
    """
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates"
