"""playbook: a marketing-analytics playbook of parameterized notebooks and the helpers behind them."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("playbook")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
