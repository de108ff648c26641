"""Deduplication (F7): partner records -> merged records (one per edition) and works.

    merged, works = cluster(records)          # a whole result list
    clusterer = Clusterer(); clusterer.add(batch)  # streaming: returns the clusters that changed
    match(a, b)                                # one pair, with the rule and the reason
"""

from federator.dedup.cluster import Clusterer, cluster
from federator.dedup.match import MatchResult, match
from federator.dedup.model import FieldSource, MatchEvidence, MergedRecord, Work, parse_id, rec_id, split_rec_id

__all__ = [
    "Clusterer", "FieldSource", "MatchEvidence", "MatchResult", "MergedRecord", "Work",
    "cluster", "match", "parse_id", "rec_id", "split_rec_id",
]
