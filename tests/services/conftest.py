"""The services run against every store, as the contract suite does."""

from tests.contract.conftest import pg_url, store  # noqa: F401
