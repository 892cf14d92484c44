"""`Background`: one call on a thread, its value or its error taken back later. The stages use it
where the other work releases the GIL (numpy's sorts, hashlib, the browser's process)."""


class Background:
    """Run fn(*args, **kwargs) in a thread; `result()` returns its value or raises its error."""

    def __init__(self, fn, *args, **kwargs):
        import threading

        self._value = self._error = None
        self._thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True)
        self._thread.start()

    def _run(self, fn, args, kwargs):
        try:
            self._value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
