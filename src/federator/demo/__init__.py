"""The bundled demo: fictional partner libraries serving real MARC records (with generated DEMO
holdings) over standard SRU, so `federator serve` works on a fresh machine with no configuration.

- federator.demo.catalog: DemoCatalog, one partner's records, holdings and in-memory index.
- federator.demo.sru_app: create_demo_app(partners), the SRU endpoints mounted at /demo.
- data/: the record pools and their PROVENANCE.md (built by scripts/build_demo_data.py).
"""
