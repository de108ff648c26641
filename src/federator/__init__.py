"""federator: a federated union-catalog search service.

One live search over many partner library catalogs (SRU, Z39.50, other APIs), normalised into one
record model, deduplicated into merged records that list every holding library, ranked and
faceted. See docs/architecture.md for the layers.
"""

__version__ = "0.1.0"
