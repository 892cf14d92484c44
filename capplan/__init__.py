"""capplan: capacity planning from traffic exports, load tests and growth forecasts.

The flow runs one way: ingest -> load -> capacity (usl, queueing) -> growth -> plan -> outputs.
Heavy libraries are imported inside the functions that use them so `capplan --help` stays instant.

For notebooks and other programs (see `capplan.api`):

    import capplan
    a = capplan.analyze(df)                 # a DataFrame, a Series or a path
    p = capplan.forecast(df, months=6, per_instance=750, target_utilization=0.6)
    p.months; p.forecast; p.to_json(); p.write("out/")
    capplan.plan(peak=10000, instances=20, utilization=0.4, growth=0.10, months=12)
    capplan.fit_usl(n, x).summary()
"""

import sys as _sys
import types as _types

__version__ = "0.1.0"

# The API's names, loaded on first use (PEP 562) so that `import capplan` and `capplan --help`
# import neither the API nor pandas.
_API = ("analyze", "forecast", "plan", "fit_usl", "usl_what_if", "read_traffic")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from capplan import api

        return getattr(api, name)
    raise AttributeError(f"module 'capplan' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_API})


class _Package(_types.ModuleType):
    """`capplan.plan` is the what-if function, although `capplan/plan.py` is a module of the same
    name: importing a submodule binds it on its package (`setattr(capplan, "plan", module)`), which
    would replace the function the moment anything imported `capplan.plan`. A data descriptor on
    the package's class wins over that binding; the module stays in `sys.modules`, so
    `from capplan.plan import build_plan` works as before. (Do not write `import capplan.plan as
    m`: that form reads the attribute and gets the function.)"""

    @property
    def plan(self):
        from capplan.api import plan

        return plan

    @plan.setter
    def plan(self, module):
        pass  # the import system binding the submodule: it is reachable through sys.modules


_sys.modules[__name__].__class__ = _Package
