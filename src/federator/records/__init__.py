"""Records: the normalised model and the normalisers from MARC 21, MARCXML, DC and MODS."""

from federator.records.dc import dc_to_record, record_to_dc
from federator.records.identifiers import (
    normalise_isbn,
    normalise_issn,
    normalise_lccn,
    normalise_oclc,
)
from federator.records.marc import normalise_marc
from federator.records.marcxml import element_to_marc, marc_to_element
from federator.records.model import Availability, Holding, MaterialType, Record
from federator.records.mods import mods_to_record, record_to_mods
from federator.records.normalise import (
    UnknownSchema,
    iter_iso2709,
    normalise_iso2709,
    normalise_xml,
)

__all__ = [
    "Availability",
    "Holding",
    "MaterialType",
    "Record",
    "UnknownSchema",
    "dc_to_record",
    "element_to_marc",
    "iter_iso2709",
    "marc_to_element",
    "mods_to_record",
    "normalise_isbn",
    "normalise_iso2709",
    "normalise_issn",
    "normalise_lccn",
    "normalise_marc",
    "normalise_oclc",
    "normalise_xml",
    "record_to_dc",
    "record_to_mods",
]
