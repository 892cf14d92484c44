"""capplan: capacity planning from traffic exports, load tests and growth forecasts.

The flow runs one way: ingest -> load -> capacity (usl, queueing) -> growth -> plan -> outputs.
Heavy libraries are imported inside the functions that use them so `capplan --help` stays instant.
"""

__version__ = "0.1.0"
