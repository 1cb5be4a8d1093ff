"""The coordinators' web console, served under /console by `terrapro serve`."""
from bot.web.console.compose import build_console

__all__ = ["build_console"]
