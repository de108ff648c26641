"""Records: the normalised model and the normalisers from MARC 21, MARCXML, DC and MODS."""

from federator.records.model import Availability, Holding, MaterialType, Record

__all__ = ["Availability", "Holding", "MaterialType", "Record"]
