"""Live sources: pull new and changed records from help-desk APIs (docs/connectors.md).

``supportkpi sync NAME`` reads ``[sources.NAME]`` from the config, fetches each page of the
help desk's incremental export, converts it with the import profile's converters and loads
it through the ordinary loader; the stream's cursor is stored with the page it covers.
"""

from supportkpi.sync.run import SyncResult, sync_source
from supportkpi.sync.state import SYNC_STATE, read_cursor

__all__ = ["SYNC_STATE", "SyncResult", "read_cursor", "sync_source"]
